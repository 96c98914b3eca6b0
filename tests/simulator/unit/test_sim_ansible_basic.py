"""Ansible.Basic argument handling: messages as ansible-core's Ansible.Basic.cs words them."""

from __future__ import annotations

import pytest

from wcsim.ansible_basic import (
    NO_LOG_PLACEHOLDER,
    ModuleExit,
    SpecError,
    parse_arguments,
    validate_spec,
)

FEATURE = "ansible.windows.win_feature"


def fails_with(sim, args, host="ws2022", module=FEATURE):
    rc, result = sim.module(host, module, args)
    assert rc == 1 and result["failed"] is True
    return result["msg"]


def test_unsupported_parameter_lists_the_supported_ones(sim):
    assert fails_with(sim, {"name": "Containers", "foo": 1, "Bar": 2}) == (
        "Unsupported parameters for (win_feature) module: Bar, foo. Supported parameters include: "
        "include_management_tools, include_sub_features, name, source, state"
    )


def test_missing_required_argument(sim):
    assert fails_with(sim, {}) == "missing required arguments: name"


def test_choice_mismatch(sim):
    assert fails_with(sim, {"name": "Containers", "state": "x"}) == (
        "value of state must be one of: present, absent. Got no match for: x"
    )


def test_choices_match_case_insensitively(sim):
    rc, result = sim.module("ws2022", FEATURE, {"name": "Containers", "state": "PRESENT"})
    assert rc == 0 and result["changed"]


def test_bool_conversion_message(sim):
    assert fails_with(sim, {"name": "Containers", "include_management_tools": "maybe"}) == (
        "argument for include_management_tools is of type System.String and we were unable to "
        "convert to bool: The value 'maybe' is not a valid boolean. Valid booleans include: "
        "y, yes, on, 1, true, t, 1.0, n, no, off, 0, false, f, 0.0"
    )


def test_list_from_a_comma_separated_string(sim):
    rc, result = sim.module("ws2022", FEATURE, {"name": "Containers, Telnet-Client"})
    assert rc == 0
    assert [f["display_name"] for f in result["feature_result"]] == ["Containers", "Telnet Client"]


def test_list_from_a_dict_is_refused(sim):
    assert fails_with(sim, {"name": {"a": 1}}) == (
        "argument for name is of type System.Collections.Hashtable and we were unable to convert "
        "to list: System.Collections.Hashtable cannot be converted to a list"
    )


def test_case_insensitive_option_names_are_accepted(sim):
    rc, result = sim.module("ws2022", FEATURE, {"NAME": ["Containers"]})
    assert rc == 0 and result["changed"]


def test_module_name_defaults_like_ansible_basic(sim):
    reply = sim.fleet.handle(
        "ws2022",
        __import__("wcsim.interface", fromlist=["ModuleRun"]).ModuleRun(FEATURE, {"nope": 1}),
    )
    assert "Unsupported parameters for (undefined win module) module: nope" in reply.stdout


SPEC = {
    "options": {
        "count": {"type": "int"},
        "ratio": {"type": "float"},
        "path": {"type": "path"},
        "token": {"type": "str", "no_log": True},
        "nested": {
            "type": "dict",
            "options": {
                "mode": {"type": "str", "choices": ["a", "b"], "default": "a"},
                "size": {"type": "int", "required": True},
            },
        },
        "items": {
            "type": "list",
            "elements": "dict",
            "options": {
                "key": {"type": "str", "required": True},
                "secret": {"type": "str", "no_log": True},
            },
        },
        "ports": {"type": "list", "elements": "int"},
        "alias_me": {"type": "str", "aliases": ["other"]},
    },
    "mutually_exclusive": [["count", "ratio"]],
    "required_if": [["alias_me", "x", ["count"]]],
    "supports_check_mode": False,
}


def parse(args, *, check_mode=False, inject=True):
    internal = {"_ansible_module_name": "demo", "_ansible_inject_invocation": inject}
    return parse_arguments(SPEC, args, internal, check_mode, False)


def exit_msg(args, **kw):
    with pytest.raises(ModuleExit) as done:
        parse(args, **kw)
    return done.value


def test_int_conversion_and_overflow_messages():
    assert exit_msg({"count": "abc"}).result["msg"] == (
        "argument for count is of type System.String and we were unable to convert to int: "
        "Input string was not in a correct format."
    )
    assert (
        exit_msg({"count": 2**40})
        .result["msg"]
        .endswith(
            "System.Int64 and we were unable to convert to int: "
            "Value was either too large or too small for an Int32."
        )
    )
    assert parse({"count": "42"}).params["count"] == 42


def test_nested_options_defaults_and_context():
    assert parse({"nested": {"size": "3"}}).params["nested"] == {"mode": "a", "size": 3}
    assert (
        exit_msg({"nested": {}}).result["msg"] == "missing required arguments: size found in nested"
    )
    assert exit_msg({"nested": {"size": 1, "mode": "c"}}).result["msg"] == (
        "value of mode must be one of: a, b. Got no match for: c found in nested"
    )
    assert exit_msg({"nested": {"size": 1, "x": 1}}).result["msg"] == (
        "Unsupported parameters for (demo) module: x found in nested. "
        "Supported parameters include: mode, size"
    )


def test_list_elements_are_converted_with_the_list_entry_message():
    assert parse({"ports": ["80", 443]}).params["ports"] == [80, 443]
    assert exit_msg({"ports": ["http"]}).result["msg"] == (
        "argument for list entry ports is of type System.String and we were unable to convert to "
        "int: Input string was not in a correct format."
    )


def test_mutually_exclusive_and_required_if():
    assert (
        exit_msg({"count": 1, "ratio": 0.5}).result["msg"]
        == "parameters are mutually exclusive: count, ratio"
    )
    assert (
        exit_msg({"other": "x"}).result["msg"]
        == "alias_me is x but all of the following are missing: count"
    )


def test_no_log_values_are_masked_in_invocation_and_msg():
    invocation = parse(
        {"token": "hunter2", "items": [{"key": "k1", "secret": "s3cr3t"}], "path": "x-hunter2"}
    )
    result = invocation.finish({"changed": False, "failed": True, "msg": "bad token hunter2"})
    args = result["invocation"]["module_args"]
    assert args["token"] == NO_LOG_PLACEHOLDER
    assert args["items"][0]["secret"] == NO_LOG_PLACEHOLDER
    assert args["path"] == "x-********"
    assert result["msg"] == "bad token ********"
    assert "hunter2" not in repr(result) and "s3cr3t" not in repr(result)


def test_invocation_only_when_ansible_asks_for_it():
    assert "invocation" not in parse({"count": 1}, inject=False).finish({"changed": False})
    assert parse({"count": 1}).finish({"changed": False})["invocation"]["module_args"]["count"] == 1


def test_check_mode_skip_for_modules_without_support():
    done = exit_msg({"count": 1}, check_mode=True)
    assert done.rc == 0
    assert done.result["skipped"] is True
    assert done.result["msg"] == "remote module (demo) does not support check mode"


def test_path_expands_host_environment_variables():
    assert parse({"path": "%ProgramData%\\docker"}).params["path"] == "C:\\ProgramData\\docker"


def test_invalid_spec_is_a_model_bug():
    with pytest.raises(SpecError, match="argument spec entry contains an invalid key 'requird'"):
        validate_spec({"options": {"x": {"requird": True}}})
    with pytest.raises(SpecError, match="type 'sid' is unsupported"):
        validate_spec({"options": {"x": {"type": "sid"}}})
