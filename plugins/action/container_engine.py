# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_engine: validate, plan, then let the .ps1 carry out the plan.

One ``container_host_info`` run reads the host; the pin and the daemon.json
are validated here (nothing reaches the host when they are refused); the
steps are planned here (install only when the version differs, write
daemon.json and restart only when its canonical text differs); the module
only carries them out.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    daemon_config,
    engine_host,
    engine_release,
    engine_restart,
    engine_steps,
    host_facts,
    host_lock,
    host_read,
    refusal,
)

INFO_MODULE = "trustbound.wincontainers.container_host_info"
# One module per runtime: containerd (with nerdctl) gets its own entry here.
RUNTIME_MODULES = {"docker": "trustbound.wincontainers.container_engine"}
DEFAULT_CACHE_DIR = "C:\\ProgramData\\wincontainers\\downloads"

# The planner lives in plugin_utils: the container_host_plan action asks it too.
plan_steps = engine_steps.plan_steps

ARGUMENT_SPEC = {
    "runtime": {"type": "str", "choices": list(engine_release.RUNTIMES), "default": "docker"},
    "version": {"type": "str", "required": True},
    "url": {"type": "str"},
    "checksum": {"type": "str", "required": True},
    "cache_dir": {"type": "str", "default": DEFAULT_CACHE_DIR},
    "daemon_config": {"type": "dict"},
    "require_hyperv_isolation": {"type": "bool", "default": False},
    "host_info": {"type": "dict"},
    "start_timeout": {"type": "int", "default": 120},
    "use_proxy": {"type": "bool", "default": True},
    "proxy_url": {"type": "str"},
    "proxy_username": {"type": "str"},
    "proxy_password": {"type": "str", "no_log": True},
    "proxy_use_default_credential": {"type": "bool", "default": False},
    "lock_timeout": {"type": "int", "default": 300},
}
PROXY_OPTIONS = (
    "use_proxy",
    "proxy_url",
    "proxy_username",
    "proxy_password",
    "proxy_use_default_credential",
)
# A module run must survive the wait (WinRM's default operation timeout is minutes).
MAX_START_TIMEOUT = 900


def engine_diff(engine: dict[str, Any], release: dict[str, str], desired: dict) -> list[dict]:
    """Before/after of daemon.json and of the engine version and service, as Ansible diffs."""
    path = engine.get("daemon_config_path") or daemon_config.DAEMON_CONFIG_PATH
    current = engine.get("daemon_config")
    before_config = "" if current is None or current == {} else daemon_config.canonical(current)
    installed = engine.get("version") if engine.get("installed") else None
    before_engine = (
        f"{engine.get('kind') or 'docker'} {installed or '(not installed)'}\n"
        f"service: {engine.get('service_state') or 'absent'}\n"
    )
    after_engine = f"{release['runtime']} {release['version']}\nservice: running\n"
    return [
        {
            "before_header": path,
            "after_header": path,
            "before": before_config,
            "after": daemon_config.canonical(desired),
        },
        {
            "before_header": "engine",
            "after_header": "engine",
            "before": before_engine,
            "after": after_engine,
        },
    ]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        for internal in ("_steps", "_daemon_config_text", "_engine_host"):
            if internal in self._task.args:
                return dict(result, failed=True, msg=f"{internal} is internal to container_engine")
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get("inventory_hostname")
        try:
            engine_release.validate_proxy(
                host=host,
                url=args["proxy_url"],
                username_given=bool(args["proxy_username"]),
                password_given=bool(args["proxy_password"]),
            )
            host_lock.wait_seconds(args["lock_timeout"], host, "lock_timeout")
        except refusal.Refusal as exc:
            return dict(result, failed=True, changed=False, msg=str(exc), rule=exc.rule)

        if args["host_info"] is not None:
            info = args["host_info"]
            problem = host_facts.read_problem(info)
            if problem:
                return dict(result, failed=True, changed=False, msg=f"host {host!r}: {problem}")
        else:
            info = host_read.read(
                lambda module_args: self._execute_module(
                    module_name=INFO_MODULE, module_args=module_args, task_vars=task_vars
                )
            )
        if info.get("failed"):
            return dict(
                result,
                failed=True,
                changed=False,
                msg=f"host {host!r}: container_host_info failed: {info.get('msg')}."
                " Nothing was changed.",
            )

        try:
            release = engine_release.validate_pin(
                host=host,
                runtime=args["runtime"],
                version=args["version"],
                url=args["url"] or engine_release.default_url(args["version"]),
                checksum=args["checksum"],
                os_build=host_facts.os_build(info),
            )
            multi_tenant = args["require_hyperv_isolation"]
            desired = args["daemon_config"]
            if desired is None:
                desired = daemon_config.build(
                    {}, host=host, multi_tenant=multi_tenant, engine_version=release.version
                )
            daemon_config.validate(
                desired, host=host, multi_tenant=multi_tenant, engine_version=release.version
            )
        except refusal.Refusal as exc:
            return dict(result, failed=True, changed=False, msg=str(exc), rule=exc.rule)

        engine = info.get("engine") or {}
        layers = engine_steps.has_layers(info)
        steps = plan_steps(engine, release.version, desired, layers=layers)
        containers_state = host_facts.feature_state(info, "Containers")
        if (
            not self._task.check_mode
            and {"start", "restart"} & set(steps)
            and containers_state != host_facts.INSTALLED
        ):
            return dict(
                result,
                failed=True,
                changed=False,
                msg=(
                    f"host {host!r}: engine start refused (rule containers_installed): the"
                    f" Containers feature is {containers_state}; the engine cannot start until it"
                    " is installed and the host restarted (the container_host role does both)."
                    " Nothing was changed."
                ),
                rule="containers_installed",
            )

        if not 1 <= args["start_timeout"] <= MAX_START_TIMEOUT:
            return dict(
                result,
                failed=True,
                changed=False,
                msg=f"host {host!r}: start_timeout {args['start_timeout']} refused (rule"
                f" start_timeout): between 1 and {MAX_START_TIMEOUT} seconds. Nothing was changed.",
                rule="start_timeout",
            )
        running = (
            engine_restart.running_containers(info)
            if engine_restart.stops_engine(steps, engine)
            else []
        )
        warnings = list(release.warnings)
        if engine_steps.acl_left(engine, layers):
            warnings.append(engine_steps.acl_warning(host, engine))
        if self._task.check_mode and engine_restart.stops_engine(steps, engine):
            restart_warning = engine_restart.check_mode_warning(host, running)
            warnings.append(restart_warning)
            result.setdefault("warnings", []).append(restart_warning)
        for warning in warnings:
            self._display.warning(warning)
        if self._task.diff and steps:
            result["diff"] = engine_diff(engine, release.as_dict(), desired)
        if not steps:
            return dict(
                result,
                changed=False,
                steps=[],
                engine={"version": release.version, "service_state": engine.get("service_state")},
                download={
                    "path": None,
                    "url": release.url,
                    "checksum": release.checksum,
                    "reused": False,
                },
            )

        module_args = {
            "runtime": release.runtime,
            "version": release.version,
            "url": release.url,
            "checksum": release.checksum,
            "cache_dir": args["cache_dir"],
            "start_timeout": args["start_timeout"],
            **{k: args[k] for k in PROXY_OPTIONS if args[k] is not None},
            "_steps": steps,
            "_engine_host": engine_host.module_option(desired),
            "lock_timeout": args["lock_timeout"],
            "lock_holder": host_lock.holder(RUNTIME_MODULES[release.runtime], task_vars),
        }
        if "write_config" in steps:
            module_args["_daemon_config_text"] = daemon_config.canonical(desired)
        module_result = self._execute_module(
            module_name=RUNTIME_MODULES[release.runtime],
            module_args=module_args,
            task_vars=task_vars,
        )
        if "containers" in module_result:
            # The module returns its docker ps and docker start runs raw.
            module_result["containers"] = engine_restart.container_report(
                module_result["containers"], engine_restart.container_names(info)
            )
        result.update(module_result)
        warnings = engine_restart.not_restarted_warnings(host, running, module_result)
        acl = module_result.get("data_root_acl") or {}
        if acl and not acl.get("protected"):
            warnings.append(
                f"host {host!r}: the engine's data root keeps its ACL: {acl.get('reason')}; setting"
                " it would rewrite the ACL of every image layer. Set it by hand, or remove the"
                " images and run again"
            )
        for warning in warnings:
            self._display.warning(warning)
            result.setdefault("warnings", []).append(warning)
        return result
