"""The shared reading of survey and inventory inputs (plugin_utils/inputs.py)."""

from __future__ import annotations

import pytest
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import inputs

SECRET = "S3cret-Value-42"


@pytest.mark.parametrize("word", sorted(str(w) for w in BOOLEANS_TRUE))
def test_every_ansible_true_word_is_true(word):
    assert inputs.to_bool(word, "x") is True
    assert inputs.to_bool(word.upper(), "x") is True


@pytest.mark.parametrize("word", sorted(str(w) for w in BOOLEANS_FALSE))
def test_every_ansible_false_word_is_false(word):
    assert inputs.to_bool(word, "x") is False
    assert inputs.to_bool(f" {word.upper()} ", "x") is False


@pytest.mark.parametrize("value", ["maybe", "", 2, -1, None, [True], {"a": 1}, "truee"])
def test_anything_else_is_refused_naming_the_variable(value):
    with pytest.raises(inputs.InputTypeError) as info:
        inputs.to_bool(value, "wincontainers_allow_container_admin")
    assert "wincontainers_allow_container_admin must be a boolean" in str(info.value)


def test_a_refused_boolean_is_not_quoted():
    with pytest.raises(inputs.InputTypeError) as info:
        inputs.to_bool(SECRET, "v")
    assert SECRET not in str(info.value)
    assert f"a string ({len(SECRET)} characters)" in str(info.value)


def test_a_json_string_list_is_parsed():
    assert inputs.to_list('[{"name": "web"}]', "wincontainers_workloads") == [{"name": "web"}]
    assert inputs.to_list(("a",), "x") == ["a"]
    assert inputs.to_list(None, "x") == []


@pytest.mark.parametrize(
    "value",
    ["npipe://", f'[{{"secret_env": {{"T": "{SECRET}"}}', f'{{"T": "{SECRET}"}}', "[1, 2"],
)
def test_a_string_that_is_not_a_json_list_is_refused_unquoted(value):
    with pytest.raises(inputs.InputTypeError) as info:
        inputs.to_list(value, "container_host_daemon_hosts")
    message = str(info.value)
    assert message.startswith("container_host_daemon_hosts must be a list, got a string")
    assert SECRET not in message and value not in message


def test_a_json_string_mapping_is_parsed_or_refused():
    assert inputs.to_mapping('{"27.3.1": "ab"}', "c") == {"27.3.1": "ab"}
    with pytest.raises(inputs.InputTypeError, match="c must be a mapping, got a string"):
        inputs.to_mapping("27.3.1=ab", "c")
    with pytest.raises(inputs.InputTypeError, match="c must be a mapping, got a list"):
        inputs.to_mapping(["a"], "c")


@pytest.mark.parametrize(("value", "expected"), [(3, 3), ("5", 5), (" 7 ", 7)])
def test_positive_ints(value, expected):
    assert inputs.to_positive_int(value, "n") == expected


@pytest.mark.parametrize("value", [0, "0", -1, "three", True, 1.5, None])
def test_zero_and_non_numbers_are_refused(value):
    with pytest.raises(inputs.InputTypeError, match="n must be a whole number of 1 or more"):
        inputs.to_positive_int(value, "n")


@pytest.mark.parametrize("value", [["acme"], 5, "", "  ", None, {"a": 1}])
def test_text_must_be_a_non_empty_string(value):
    with pytest.raises(inputs.InputTypeError, match="must be a non-empty string"):
        inputs.to_text(value, "wincontainers_trust_boundary")
