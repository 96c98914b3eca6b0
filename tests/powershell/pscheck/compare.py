# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare a module's ``$spec`` with itself (shape), its documentation and the simulator."""

from __future__ import annotations

import re
from typing import Any

from .module_docs import ModuleDocs
from .module_source import ModuleSource
from .syntax import Finding

SPEC_KEYS = frozenset(
    (
        "options",
        "supports_check_mode",
        "mutually_exclusive",
        "required_together",
        "required_one_of",
        "required_if",
        "required_by",
        "no_log",
    )
)
DEPENDENCY_KEYS = ("mutually_exclusive", "required_together", "required_one_of")
OPTION_KEYS = frozenset(
    (
        "type",
        "required",
        "default",
        "choices",
        "elements",
        "aliases",
        "no_log",
        "options",
        "apply_defaults",
        "deprecated_aliases",
        "removed_in_version",
        "removed_at_date",
        "removed_from_collection",
        *DEPENDENCY_KEYS,
        "required_if",
        "required_by",
    )
)
# Types Ansible.Basic knows, and the Python type a literal default must have.
TYPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "dict": (dict,),
    "float": (int, float),
    "int": (int,),
    "json": (str, dict, list),
    "list": (list,),
    "path": (str,),
    "raw": (object,),
    "sid": (str,),
    "str": (str,),
}
# Keys Ansible.Basic or Ansible itself manage, which RETURN need not document.
COMMON_RESULT_KEYS = frozenset(
    (
        "changed",
        "failed",
        "msg",
        "skipped",
        "invocation",
        "warnings",
        "deprecations",
        "exception",
        "diff",
    )
)
SECRET_NAME = re.compile(r"(password|passwd|passphrase|secret|token)", re.IGNORECASE)

KeyPath = tuple[str | int, ...]  # a key path into the spec, as in Positions


def spec_shape(source: ModuleSource) -> list[Finding]:
    """Problems Ansible.Basic would raise at run time, found statically."""
    spec = source.spec or {}
    findings = [
        source.at((key,), f"unknown $spec key '{key}'") for key in spec if key not in SPEC_KEYS
    ]
    if not isinstance(spec.get("supports_check_mode", False), bool):
        findings.append(source.at(("supports_check_mode",), "supports_check_mode must be a bool"))
    findings += _level_shape(source, spec, ())
    return findings


def _level_shape(source: ModuleSource, level: dict[str, Any], at: KeyPath) -> list[Finding]:
    findings: list[Finding] = []
    options = level.get("options") or {}
    if not isinstance(options, dict):
        return [source.at((*at, "options"), "options must be a @{...} hashtable")]
    for name, option in options.items():
        where = (*at, "options", name)
        if not isinstance(option, dict):
            findings.append(source.at(where, f"option '{name}' must be a @{{...}} hashtable"))
            continue
        findings += _option_shape(source, name, option, where)
        if "options" in option:
            findings += _level_shape(source, option, where)
    findings += _dependency_shape(source, level, options, at)
    return findings


def _option_shape(
    source: ModuleSource, name: str, option: dict[str, Any], at: KeyPath
) -> list[Finding]:
    findings = [
        source.at((*at, key), f"option '{name}': unknown key '{key}'")
        for key in option
        if key not in OPTION_KEYS
    ]
    kind = option.get("type", "str")
    if kind not in TYPES:
        findings.append(source.at((*at, "type"), f"option '{name}': unknown type '{kind}'"))
        return findings
    elements = option.get("elements")
    if elements is not None and (kind != "list" or elements not in TYPES):
        findings.append(
            source.at((*at, "elements"), f"option '{name}': elements '{elements}' needs type list")
        )
    default = option.get("default")
    if default is not None and not _has_type(default, kind):
        findings.append(
            source.at((*at, "default"), f"option '{name}': default {default!r} is not a {kind}")
        )
    choices = option.get("choices")
    if choices is not None and not isinstance(choices, list):
        findings.append(source.at((*at, "choices"), f"option '{name}': choices must be an array"))
    elif choices is not None and default is not None:
        values = default if kind == "list" else [default]
        if any(value not in choices for value in values):
            findings.append(
                source.at((*at, "default"), f"option '{name}': default {default!r} not in choices")
            )
    if option.get("required") and default is not None:
        findings.append(source.at(at, f"option '{name}' is required and has a default"))
    if SECRET_NAME.search(name) and "no_log" not in option:
        findings.append(
            source.at(
                at, f"option '{name}' looks secret: set no_log = $true (or $false on purpose)"
            )
        )
    return findings


def _has_type(value: Any, kind: str) -> bool:
    if kind in {"int", "float"} and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[kind])


def _dependency_shape(
    source: ModuleSource, level: dict[str, Any], options: dict[str, Any], at: KeyPath
) -> list[Finding]:
    """mutually_exclusive & co: arrays of arrays of option names (a common @() mistake)."""
    findings: list[Finding] = []

    def names_ok(names: Any) -> bool:
        return isinstance(names, list) and all(n in options for n in names)

    for key in DEPENDENCY_KEYS:
        for index, group in enumerate(level.get(key) or []):
            if not names_ok(group):
                findings.append(
                    source.at(
                        (*at, key),
                        f"{key}[{index}] = {group!r} is not an array of option names "
                        "(write @(, @('a', 'b')) for a single group)",
                    )
                )
    for index, rule in enumerate(level.get("required_if") or []):
        valid = (
            isinstance(rule, list)
            and len(rule) in {3, 4}
            and rule[0] in options
            and names_ok(rule[2])
            and (len(rule) == 3 or isinstance(rule[3], bool))
        )
        if not valid:
            findings.append(
                source.at(
                    (*at, "required_if"),
                    f"required_if[{index}] = {rule!r} is not @(name, value, @(names)[, any])",
                )
            )
    for name, needed in (level.get("required_by") or {}).items():
        if name not in options or not names_ok([needed] if isinstance(needed, str) else needed):
            findings.append(
                source.at((*at, "required_by"), f"required_by '{name}' names unknown options")
            )
    return findings


def normalise_options(options: dict[str, Any] | None, *, docs: bool, full: bool) -> dict[str, Any]:
    """Options in one comparable shape; absent keys take Ansible's defaults.

    ``docs`` reads DOCUMENTATION (``suboptions``) instead of a spec (``options``);
    ``full`` keeps what documentation does not state (no_log, dependencies, ...).
    """
    normalised: dict[str, Any] = {}
    for name, given in (options or {}).items():
        option = given or {}
        nested = option.get("suboptions" if docs else "options")
        entry: dict[str, Any] = {
            "type": option.get("type") or "str",
            "required": bool(option.get("required", False)),
            "default": option.get("default"),
            "choices": _unordered(option.get("choices")),
            "elements": option.get("elements"),
            "aliases": _unordered(_as_list(option.get("aliases"))),
            "options": normalise_options(nested, docs=docs, full=full) if nested else None,
        }
        if full:
            entry["no_log"] = bool(option.get("no_log", False))
            known = {*entry, "suboptions"}
            entry.update({key: value for key, value in option.items() if key not in known})
        normalised[name] = entry
    return normalised


def _unordered(values: list[Any] | None) -> list[Any] | None:
    return sorted(values, key=repr) if isinstance(values, list) else values


def option_differences(
    left: dict[str, Any], right: dict[str, Any], names: tuple[str, str], at: KeyPath = ()
) -> list[tuple[KeyPath, str]]:
    """(spec path, sentence) for each difference between two normalised option sets."""
    differences: list[tuple[KeyPath, str]] = []
    left_name, right_name = names
    for name in sorted(set(left) | set(right)):
        label = ".".join(str(p) for p in (*at[1::2], name))
        where = (*at, "options", name)
        if name not in right:
            differences.append(
                (where, f"option '{label}' is in {left_name} but not in {right_name}")
            )
            continue
        if name not in left:
            differences.append(
                (at or ("options",), f"option '{label}' is in {right_name} but not in {left_name}")
            )
            continue
        for key in sorted(set(left[name]) | set(right[name])):
            ours, theirs = left[name].get(key), right[name].get(key)
            if key == "options":
                if ours or theirs:
                    differences += option_differences(ours or {}, theirs or {}, names, where)
            elif ours != theirs:
                differences.append(
                    (
                        (*where, key),
                        f"option '{label}' {key}: {left_name} has {ours!r}, "
                        f"{right_name} has {theirs!r}",
                    )
                )
    return differences


def spec_vs_docs(source: ModuleSource, docs: ModuleDocs) -> list[Finding]:
    """Options, types, defaults, choices, elements, suboptions and check mode against the docs."""
    spec = source.spec or {}
    documented = normalise_options(docs.options, docs=True, full=False)
    declared = normalise_options(spec.get("options"), docs=False, full=False)
    findings = [
        source.at(path, message)
        for path, message in option_differences(declared, documented, ("$spec", "DOCUMENTATION"))
    ]
    support = docs.check_mode_support
    supports = bool(spec.get("supports_check_mode", False))
    if support is None:
        findings.append(
            source.at((), f"{docs.path}: DOCUMENTATION has no attributes.check_mode.support")
        )
    elif (support in {"full", "partial"}) != supports:
        findings.append(
            source.at(
                ("supports_check_mode",),
                f"supports_check_mode is {supports} but DOCUMENTATION says check_mode "
                f"support: {support}",
            )
        )
    return findings


def returns_vs_docs(source: ModuleSource, docs: ModuleDocs) -> list[Finding]:
    """Every key set in $module.Result is in RETURN, and every RETURN key is set."""
    findings: list[Finding] = []
    documented = set(docs.returns)
    for key, (line, column) in sorted(source.result_keys.items()):
        if key not in documented and key not in COMMON_RESULT_KEYS:
            findings.append(
                Finding(
                    source.path, line, column, f"$module.Result.{key} is not documented in RETURN"
                )
            )
    for key in sorted(documented - set(source.result_keys) - COMMON_RESULT_KEYS):
        if key.endswith("_lines") and key.removesuffix("_lines") in source.result_keys:
            continue  # Ansible adds stdout_lines/stderr_lines for stdout/stderr
        findings.append(
            Finding(source.path, 1, 1, f"RETURN documents '{key}' but the module never sets it")
        )
    return findings


def spec_vs_model(source: ModuleSource, docs: ModuleDocs, model: Any, fqcn: str) -> list[Finding]:
    """The simulator's model has the same options, return keys and check mode support."""
    spec = source.spec or {}
    label = f"simulator model {fqcn}"
    declared = normalise_options(spec.get("options"), docs=False, full=True)
    modelled = normalise_options(getattr(model, "options", None), docs=False, full=True)
    findings = [
        source.at(path, message)
        for path, message in option_differences(declared, modelled, ("$spec", label))
    ]
    # changed, msg & co are returned by every module: neither side has to list them.
    returns = set(getattr(model, "returns", ())) - COMMON_RESULT_KEYS
    documented = set(docs.returns) - COMMON_RESULT_KEYS
    if returns != documented:
        findings.append(
            source.at(
                (),
                f"{label} returns {sorted(returns)} but RETURN documents {sorted(documented)}",
            )
        )
    supports = bool(spec.get("supports_check_mode", False))
    if bool(getattr(model, "supports_check_mode", False)) != supports:
        findings.append(
            source.at(
                ("supports_check_mode",),
                f"{label} supports_check_mode is {getattr(model, 'supports_check_mode', None)}, "
                f"$spec has {supports}",
            )
        )
    for key in (
        "mutually_exclusive",
        "required_together",
        "required_one_of",
        "required_if",
        "required_by",
    ):
        if hasattr(model, key) and (getattr(model, key) or None) != (spec.get(key) or None):
            findings.append(source.at((key,), f"{label} {key} differs from $spec"))
    return findings


def _as_list(value: Any) -> list[Any]:
    """Ansible.Basic accepts a single alias as a string."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
