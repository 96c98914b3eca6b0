"""The example AWX survey asks only for variables the roles declare, with values they accept.

AWX sends survey answers as extra vars; a multiple choice is a string, so a
boolean variable's choices must be the strings Ansible's boolean conversion
accepts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import inputs

REPO = Path(__file__).resolve().parents[2]
SURVEY = json.loads((REPO / "examples" / "awx" / "survey-site.json").read_text())


def declared() -> dict[str, dict]:
    options: dict[str, dict] = {}
    for specs in (REPO / "roles").glob("*/meta/argument_specs.yml"):
        main = yaml.safe_load(specs.read_text())["argument_specs"]["main"]
        options.update(main["options"])
    return options


@pytest.mark.parametrize("question", SURVEY["spec"], ids=lambda q: q["variable"])
def test_each_answer_fits_the_declared_option(question):
    variable = question["variable"]
    if variable == "wincontainers_target":  # a playbook variable, not a role option
        assert question["type"] == "text"
        return
    option = declared()[variable]
    if question["type"] == "multiplechoice":
        assert question["default"] in question["choices"]
        # booleans are declared raw and read by the roles as Ansible reads a boolean
        if option["type"] == "bool" or isinstance(option.get("default"), bool):
            # each choice reads as a boolean the way the roles read it (inputs.to_bool)
            read = {inputs.to_bool(choice, variable) for choice in question["choices"]}
            assert read == {True, False}, question["choices"]
        else:
            assert set(question["choices"]) == set(option["choices"])


def test_the_target_variable_is_what_every_playbook_reads():
    for playbook in (REPO / "playbooks").glob("*.yml"):
        assert "wincontainers_target | default('windows')" in playbook.read_text(), playbook
