"""Argument handling of ``Ansible.Basic.AnsibleModule``, in Python.

A port of what ansible-core's ``module_utils/csharp/Ansible.Basic.cs`` does
before a module's own code runs: unsupported and missing arguments, types
and their conversions, choices, defaults, aliases, nested options, the
check-mode skip, no_log masking of the ``invocation``, and the exact
messages. Messages keep their .NET wording (type names such as
``System.String``) because that is what a real host answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

NO_LOG_PLACEHOLDER = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

BOOLEANS_TRUE = ("y", "yes", "on", "1", "true", "t", "1.0")
BOOLEANS_FALSE = ("n", "no", "off", "0", "false", "f", "0.0")

# Ansible.Basic.cs specDefaults: the keys an argument spec entry may have.
SPEC_KEYS = (
    "apply_defaults",
    "aliases",
    "choices",
    "default",
    "deprecated_aliases",
    "elements",
    "mutually_exclusive",
    "no_log",
    "options",
    "removed_in_version",
    "removed_at_date",
    "removed_from_collection",
    "required",
    "required_by",
    "required_if",
    "required_one_of",
    "required_together",
    "supports_check_mode",
    "type",
)
OPTION_TYPES = ("bool", "dict", "float", "int", "json", "list", "path", "raw", "str")

# Ansible.Basic.cs passVars: _ansible_<key> arguments the module consumes.
PASS_VARS = (
    "check_mode",
    "debug",
    "diff",
    "keep_remote_files",
    "ignore_unknown_opts",
    "inject_invocation",
    "module_name",
    "no_log",
    "remote_tmp",
    "selinux_special_fs",
    "shell_executable",
    "socket",
    "syslog_facility",
    "target_log_info",
    "tracebacks_for",
    "tmpdir",
    "verbosity",
    "version",
)

# Environment variables Environment.ExpandEnvironmentVariables knows on a host.
HOST_ENVIRONMENT = {
    "systemroot": "C:\\Windows",
    "windir": "C:\\Windows",
    "systemdrive": "C:",
    "programdata": "C:\\ProgramData",
    "programfiles": "C:\\Program Files",
    "programfiles(x86)": "C:\\Program Files (x86)",
    "temp": "C:\\Windows\\TEMP",
    "tmp": "C:\\Windows\\TEMP",
}


class ModuleExit(Exception):
    """The module ended before its own code ran: ``result`` is its JSON, ``rc`` its exit code."""

    def __init__(self, result: dict[str, Any], rc: int) -> None:
        super().__init__(result.get("msg", ""))
        self.result = result
        self.rc = rc


class SpecError(ValueError):
    """An invalid argument spec (a bug in a model, raised when it is registered)."""


@dataclass
class Invocation:
    """What Ansible.Basic knows once the arguments are accepted."""

    params: dict[str, Any]
    module_name: str
    check_mode: bool
    diff: bool
    no_log_values: set[str] = field(default_factory=set)
    inject_invocation: bool = False

    def result(self, **values: Any) -> dict[str, Any]:
        """A fresh ``$module.Result`` (``changed: false``) with ``values``."""
        return {"changed": False, **values}

    def finish(self, result: dict[str, Any]) -> dict[str, Any]:
        """``GetFormattedResults``: add the masked ``invocation`` when ansible asked for it."""
        result = dict(result)
        if self.inject_invocation and "invocation" not in result:
            result["invocation"] = {
                "module_args": remove_no_log_values(self.params, self.no_log_values)
            }
        if "msg" in result and result.get("failed"):
            result["msg"] = remove_no_log_values(result["msg"], self.no_log_values)
        return result


def dotnet_type(value: Any) -> str:
    """The .NET type name PowerShell gives a value decoded from the module's JSON arguments."""
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Decimal"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, list):
        return "System.Object[]"
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    return type(value).__name__


def parse_str(value: Any) -> str:
    """``value.ToString()``."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, dict)):
        return dotnet_type(value)
    return str(value)


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = parse_str(value).lower().strip()
    if text in BOOLEANS_TRUE:
        return True
    if text in BOOLEANS_FALSE:
        return False
    valid = ", ".join(BOOLEANS_TRUE + BOOLEANS_FALSE)
    raise ValueError(f"The value '{text}' is not a valid boolean. Valid booleans include: {valid}")


def _int32(text: str) -> int:
    if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
        raise ValueError("Input string was not in a correct format.")
    number = int(text)
    if not -(2**31) <= number < 2**31:
        raise ValueError("Value was either too large or too small for an Int32.")
    return number


def parse_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return _int32(str(value))
    return _int32(parse_str(value))


def parse_float(value: Any) -> float:
    if isinstance(value, float):
        return value
    text = parse_str(value).strip()
    try:
        return float(text)
    except ValueError:
        raise ValueError("Input string was not in a correct format.") from None


def _split_key_value(text: str) -> dict[str, Any]:
    fields: list[str] = []
    buffer: list[str] = []
    quote: str | None = None
    escape = False
    for char in text:
        if escape:
            buffer.append(char)
            escape = False
        elif char == "\\":
            escape = True
        elif quote is None and char in "'\"":
            quote = char
        elif quote is not None and char == quote:
            quote = None
        elif quote is None and char in ", ":
            if buffer:
                fields.append("".join(buffer))
            buffer = []
        else:
            buffer.append(char)
    if buffer:
        fields.append("".join(buffer))
    result: dict[str, Any] = {}
    for entry in dict.fromkeys(fields):
        key, sep, val = entry.partition("=")
        result[key] = val if sep else None
    return result


def parse_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}"):
            try:
                return json.loads(value)
            except json.JSONDecodeError as err:
                raise ValueError(f"Failed to parse JSON: {err}") from None
        if "=" in value:
            return _split_key_value(value)
        raise ValueError(
            "string cannot be converted to a dict, must either be a JSON string or in the "
            "key=value form"
        )
    raise ValueError(f"{dotnet_type(value)} cannot be converted to a dict")


def parse_list(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return [s.strip() for s in value.split(",")]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    raise ValueError(f"{dotnet_type(value)} cannot be converted to a list")


def parse_json(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, str):
        return value
    raise ValueError(f"{dotnet_type(value)} cannot be converted to json")


def parse_path(value: Any) -> str:
    text = parse_str(value)
    if text.startswith("\\\\?\\"):
        return text

    def expand(match: re.Match[str]) -> str:
        return HOST_ENVIRONMENT.get(match.group(1).lower(), match.group(0))

    text = re.sub(r"%([^%]+)%", expand, text)
    if any(c in text for c in '"<>|\0'):
        raise ValueError("string value contains invalid path characters, cannot convert to path")
    return text


CONVERTERS = {
    "bool": parse_bool,
    "dict": parse_dict,
    "float": parse_float,
    "int": parse_int,
    "json": parse_json,
    "list": parse_list,
    "path": parse_path,
    "raw": lambda v: v,
    "str": parse_str,
}


def validate_spec(spec: dict[str, Any], context: tuple[str, ...] = ()) -> None:
    """ValidateArgumentSpec: unknown keys and types are bugs in the model."""
    for key, value in spec.items():
        if key not in SPEC_KEYS:
            where = f" - found in {' -> '.join(context)}" if context else ""
            raise SpecError(
                f"argument spec entry contains an invalid key '{key}', valid keys: "
                f"{', '.join(SPEC_KEYS)}{where}"
            )
        if key in ("type", "elements") and value is not None and value not in OPTION_TYPES:
            raise SpecError(
                f"{key} '{value}' is unsupported by the simulator ({', '.join(context)})"
            )
        if key == "options" and value:
            for name, option in value.items():
                validate_spec(option, (*context, name))
        if key == "default" and value is not None and spec.get("required"):
            raise SpecError(f"required and default are mutually exclusive for {context[-1]}")


def remove_no_log_values(value: Any, no_log: set[str]) -> Any:
    """RemoveNoLogValues: exact matches become the placeholder, substrings become ``********``."""
    if not no_log or value is None:
        return value
    if isinstance(value, dict):
        return {k: remove_no_log_values(v, no_log) for k, v in value.items()}
    if isinstance(value, list):
        return [remove_no_log_values(v, no_log) for v in value]
    if isinstance(value, (bool, int, float)):
        text = parse_str(value)
        if text in no_log or any(omit in text for omit in no_log):
            return NO_LOG_PLACEHOLDER
        return value
    text = str(value)
    if text in no_log:
        return NO_LOG_PLACEHOLDER
    for omit in no_log:
        if omit in text:
            return text.replace(omit, "********")
    return text


class _Parser:
    def __init__(
        self, module_name: str, check_mode: bool, ignore_unknown: bool, inject: bool
    ) -> None:
        self.module_name = module_name
        self.check_mode = check_mode
        self.ignore_unknown = ignore_unknown
        self.inject = inject
        self.no_log: set[str] = set()
        self.context: list[str] = []
        self.params: dict[str, Any] = {}

    def fail(self, msg: str) -> None:
        if self.context:
            msg += f" found in {' -> '.join(self.context)}"
        raise ModuleExit(self._finish({"changed": False, "failed": True, "msg": msg}), 1)

    def _finish(self, result: dict[str, Any]) -> dict[str, Any]:
        if "msg" in result:
            result["msg"] = remove_no_log_values(result["msg"], self.no_log)
        if self.inject:
            result["invocation"] = {"module_args": remove_no_log_values(self.params, self.no_log)}
        return result

    def aliases(self, options: dict[str, Any], params: dict[str, Any]) -> dict[str, str]:
        found = {}
        for name, option in options.items():
            for alias in option.get("aliases") or []:
                found[alias] = name
                if alias in params:
                    params[name] = params[alias]
        return found

    def collect_no_log(self, options: dict[str, Any], params: dict[str, Any]) -> None:
        for name, option in options.items():
            if option.get("no_log") and params.get(name) is not None:
                text = parse_str(params[name])
                if text:
                    self.no_log.add(text)

    def check(self, spec: dict[str, Any], params: dict[str, Any], legal: list[str]) -> None:
        options = spec.get("options") or {}
        self.unsupported(params, legal)
        if self.check_mode and not spec.get("supports_check_mode") and not self.context:
            result = {"changed": False, "skipped": True}
            result["msg"] = f"remote module ({self.module_name}) does not support check mode"
            raise ModuleExit(self._finish(result), 0)
        for group in spec.get("mutually_exclusive") or []:
            if sum(1 for k in group if k in params) > 1:
                self.fail(f"parameters are mutually exclusive: {', '.join(group)}")
        missing = []
        for name, option in options.items():
            if option.get("default") is not None and name not in params:
                params[name] = option["default"]
            if option.get("required") and name not in params:
                missing.append(name)
        if missing:
            self.fail(f"missing required arguments: {', '.join(missing)}")
        for name, option in options.items():
            if params.get(name) is not None:
                params[name] = self.convert(name, option, params[name])
        self.dependencies(spec, params)
        for name, option in options.items():
            params.setdefault(name, None)
            self.sub_options(params, name, option)

    def unsupported(self, params: dict[str, Any], legal: list[str]) -> None:
        lowered = {k.lower(): k for k in legal}
        unsupported = []
        for key in list(params):
            if key in legal:
                continue
            if key.lower() in lowered:
                params[lowered[key.lower()]] = params.pop(key)
            else:
                unsupported.append(key)
        if unsupported and not self.ignore_unknown:
            names = ", ".join(sorted(unsupported))
            msg = f"Unsupported parameters for ({self.module_name}) module: {names}"
            if self.context:
                msg += f" found in {' -> '.join(self.context)}"
            raise ModuleExit(
                self._finish(
                    {
                        "changed": False,
                        "failed": True,
                        "msg": f"{msg}. Supported parameters include: {', '.join(sorted(legal))}",
                    }
                ),
                1,
            )

    def convert(self, name: str, option: dict[str, Any], value: Any) -> Any:
        kind = option.get("type") or "str"
        try:
            value = CONVERTERS[kind](value)
        except ValueError as err:
            self.fail(
                f"argument for {name} is of type {dotnet_type(value)} and we were unable to "
                f"convert to {kind}: {err}"
            )
        choices = [parse_str(c) for c in option.get("choices") or []]
        if choices:
            values = [parse_str(v) for v in value] if kind == "list" else [parse_str(value)]
            lowered = {c.lower() for c in choices}
            nomatch = [v for v in values if v.lower() not in lowered]
            if nomatch:
                how = "one or more of" if kind == "list" else "one of"
                self.fail(
                    f"value of {name} must be {how}: {', '.join(choices)}. Got no match for: "
                    f"{', '.join(nomatch)}"
                )
        return value

    def dependencies(self, spec: dict[str, Any], params: dict[str, Any]) -> None:
        for group in spec.get("required_together") or []:
            found = [k in params for k in group]
            if any(found) and not all(found):
                self.fail(f"parameters are required together: {', '.join(group)}")
        for group in spec.get("required_one_of") or []:
            if not any(k in params for k in group):
                self.fail(f"one of the following is required: {', '.join(group)}")
        for entry in spec.get("required_if") or []:
            key, val, requirements = entry[0], entry[1], entry[2]
            any_of = len(entry) == 4 and bool(entry[3])
            if params.get(key) is None or parse_str(params[key]) != parse_str(val):
                continue
            missing = [r for r in requirements if r not in params]
            if len(missing) >= (len(requirements) if any_of else 1):
                term = "any" if any_of else "all"
                self.fail(
                    f"{key} is {parse_str(val)} but {term} of the following are missing: "
                    f"{', '.join(missing)}"
                )
        for key, requires in (spec.get("required_by") or {}).items():
            if key in params:
                missing = [r for r in parse_list(requires) or [] if r not in params]
                if missing:
                    self.fail(f"missing parameter(s) required by '{key}': {', '.join(missing)}")

    def sub_options(self, params: dict[str, Any], name: str, option: dict[str, Any]) -> None:
        kind = option.get("type") or "str"
        elements = option.get("elements")
        value = params[name]
        if kind == "list" and elements:
            if value is None:
                return
            converted = []
            for element in value:
                if elements == "dict":
                    converted.append(self.sub_spec(option, element, name))
                    continue
                try:
                    converted.append(CONVERTERS[elements](element))
                except ValueError as err:
                    self.fail(
                        f"argument for list entry {name} is of type {dotnet_type(element)} and we "
                        f"were unable to convert to {elements}: {err}"
                    )
            params[name] = converted
        elif kind == "dict":
            params[name] = self.sub_spec(option, value, name)

    def sub_spec(self, option: dict[str, Any], value: Any, context: str) -> Any:
        sub_options = option.get("options") or {}
        if option.get("apply_defaults") and sub_options and value is None:
            value = {}
        elif not sub_options or value is None:
            return value
        self.context.append(context)
        try:
            value = parse_dict(value)
        except ValueError as err:
            # Not caught by Ansible.Basic: surfaces from [AnsibleModule]::Create.
            raise UnhandledArgumentError(
                f'Exception calling "Create" with "2" argument(s): "{err}"'
            ) from None
        aliases = self.aliases(sub_options, value)
        self.collect_no_log(sub_options, value)
        self.check(option, value, [*sub_options, *aliases])
        self.context.pop()
        return value


class UnhandledArgumentError(Exception):
    """An argument error Ansible.Basic does not turn into FailJson."""


def parse_arguments(
    spec: dict[str, Any],
    args: dict[str, Any],
    internal: dict[str, Any],
    check_mode: bool,
    diff: bool,
) -> Invocation:
    """Run Ansible.Basic's argument handling; raises ModuleExit when the module ends there.

    ``internal`` holds the ``_ansible_*`` arguments (with or without the prefix).
    """
    internal = {k.removeprefix("_ansible_"): v for k, v in (internal or {}).items()}
    module_name = str(internal.get("module_name") or "undefined win module")
    parser = _Parser(
        module_name,
        check_mode,
        ignore_unknown=parse_bool(internal.get("ignore_unknown_opts", False)),
        inject=parse_bool(internal.get("inject_invocation", False)),
    )
    options = spec.get("options") or {}
    params = dict(args)
    parser.params = params
    aliases = parser.aliases(options, params)
    parser.collect_no_log(options, params)
    legal = [*options, *aliases]
    parser.check(spec, params, legal)
    return Invocation(
        params=params,
        module_name=module_name,
        check_mode=check_mode,
        diff=diff,
        no_log_values=parser.no_log,
        inject_invocation=parser.inject,
    )
