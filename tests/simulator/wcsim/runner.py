"""Run one ``ModuleRun`` against a host: fault injection, Ansible.Basic, the model, the reply."""

from __future__ import annotations

import json
from typing import Any

from . import modules
from .ansible_basic import ModuleExit, UnhandledArgumentError, parse_arguments
from .host import Host
from .interface import ModuleRun, Reply
from .windows import UnhandledError


def _reply(result: dict[str, Any], rc: int) -> Reply:
    return Reply(rc=rc, stdout=json.dumps(result, separators=(",", ":")))


def _unhandled(message: str) -> Reply:
    # ansible-core executor/powershell/module_wrapper.ps1 Write-AnsibleErrorDetail
    return _reply(
        {
            "failed": True,
            "msg": f"Unhandled exception while executing module: {message}",
            "exception": message,
        },
        1,
    )


def _injected_failure(host: Host, fqcn: str) -> Reply | None:
    """The ``module_failures`` fault: fail the Nth run of a module (counted per host)."""
    runs = host.state.module_runs[fqcn] = host.state.module_runs.get(fqcn, 0) + 1
    rules = host.faults.get("module_failures") or {}
    short = fqcn.rsplit(".", 1)[-1]
    for key in (fqcn, short):
        wanted = rules.get(key)
        if wanted is None:
            continue
        numbers = wanted if isinstance(wanted, list) else [wanted]
        if runs in (int(n) for n in numbers):
            return _reply(
                {
                    "changed": False,
                    "failed": True,
                    "msg": f"wcsim: injected failure of {fqcn} (run {runs})",
                },
                1,
            )
    return None


def run_module(host: Host, request: ModuleRun) -> Reply:
    """Answer a module run the way the module's JSON and exit code would."""
    model = modules.get(request.module)
    if model is None:
        return _reply(
            {
                "failed": True,
                "msg": f"wcsim: module {request.module} is not modelled by the simulator",
            },
            1,
        )
    with host.exclusive():
        injected = _injected_failure(host, model.name)
    if injected is not None:
        return injected
    try:
        invocation = parse_arguments(
            model.spec(), request.args, request.internal, request.check_mode, request.diff
        )
    except ModuleExit as done:
        return _reply(done.result, done.rc)
    except UnhandledArgumentError as err:
        return _unhandled(str(err))
    try:
        result = model.run(host, invocation.params, request.check_mode, request.diff)
    except modules.ModuleFailure as failure:
        result = {"changed": False, **failure.extra, "failed": True, "msg": failure.msg}
        return _reply(invocation.finish(result), 1)
    except UnhandledError as err:
        return _unhandled(str(err))
    undeclared = set(result) - model.returns - modules.STANDARD_RETURNS
    if undeclared:
        return _reply(
            {
                "failed": True,
                "msg": f"wcsim: model {model.name} returned undeclared keys: "
                + ", ".join(sorted(undeclared)),
            },
            1,
        )
    return _reply(invocation.finish({"changed": False, **result}), 0)
