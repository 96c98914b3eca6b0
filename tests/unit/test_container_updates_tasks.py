"""roles/container_updates/tasks/ is a handful of readable tasks (issue 19, measures).

The role's files are read as YAML: no module call repeats another's option block (the
deployment's options are given once, by module_defaults), and no container_steps call runs
with no step only to end a lease (the restore action ends it).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

TASKS = Path(__file__).resolve().parents[2] / "roles" / "container_updates" / "tasks"
# Keywords of a task, not a module call's options.
KEYWORDS = {
    "name", "register", "when", "vars", "block", "rescue", "always", "module_defaults",
    "ignore_errors", "ignore_unreachable", "changed_when", "failed_when", "check_mode",
    "until", "retries", "delay", "loop", "tags", "no_log",
}  # fmt: skip


def tasks(entries):
    for entry in entries or []:
        yield entry
        for section in ("block", "rescue", "always"):
            yield from tasks(entry.get(section))


def calls():
    """(file, task name, module, options) of every module call of the role's tasks."""
    for path in sorted(TASKS.glob("*.yml")):
        for task in tasks(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for key, value in task.items():
                if key not in KEYWORDS and "." in key:
                    yield path.name, task.get("name"), key, value if isinstance(value, dict) else {}


def test_the_role_reads_its_tasks():
    found = list(calls())
    assert any(module.endswith("container_patch_prepare") for _f, _n, module, _o in found)
    assert len(found) >= 10


def test_no_container_steps_call_has_no_steps():
    for path, name, module, options in calls():
        if module.endswith("container_steps"):
            assert options.get("steps") not in ([], None, "[]"), (path, name)


def test_no_option_block_is_repeated():
    # An option block: three or more options with the same values in two module calls.
    seen = Counter()
    for _path, _name, _module, options in calls():
        items = frozenset((k, yaml.safe_dump(v)) for k, v in options.items())
        if len(items) >= 3:
            seen[items] += 1
    blocks = [dict(block) for block, count in seen.items() if count > 1]
    assert not blocks, blocks
    pairs = []
    found = [(p, n, o) for p, n, _m, o in calls()]
    for i, (path, name, options) in enumerate(found):
        for other_path, other_name, other in found[i + 1 :]:
            shared = {k for k in options if k in other and options[k] == other[k]}
            if len(shared) > 6:
                pairs.append(((path, name), (other_path, other_name), sorted(shared)))
    assert not pairs, pairs
