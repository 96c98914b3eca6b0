# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_audit: one read-only module run, the audit rules here.

Module runs per host: one ``container_host_info``, or none when ``host_info``
carries its registered result. Nothing on the host changes, in or out of check
mode: the only module this action runs is the read-only reader.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_findings,
    audit_rules,
    container_plan,
    host_facts,
    host_read,
    redaction,
    trust_options,
)

INFO_MODULE = "trustbound.wincontainers.container_host_info"
ARGUMENT_SPEC: dict[str, Any] = {
    "host_info": {"type": "dict"},
    "workloads": {"type": "list", "elements": "raw", "default": []},
    "trust_boundary": {"type": "str"},
    "isolation_preference": {"type": "str", "choices": ["process", "hyperv"]},
    "allow_isolation_downgrade": {"type": "bool"},
    "allow_container_admin": {"type": "bool"},
    # Issue 20: read as container_workloads reads them (audit_trust_rules.py).
    "trust_limits": {"type": "raw"},
    "trust_registries": {"type": "raw"},
    "network_separation": {"type": "raw"},
    "network_pool": {"type": "raw"},
    "owner": {"type": "str", "default": audit_rules.DEFAULT_OWNER},
    "updates": {"type": "dict"},
    "config_hash_key": {"type": "str", "no_log": True},
}


def summary(host: str, audit: audit_rules.Audit) -> dict[str, Any]:
    findings = [f.to_dict() for f in audit.findings]
    return {
        "host": host,
        "findings": len(findings),
        "by_severity": audit_findings.counts(findings),
        "containers": len(audit.containers),
        "not_evaluated": [n["id"] for n in audit.not_evaluated],
    }


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get("inventory_hostname")
        secrets = redaction.workload_secrets(args["workloads"])
        module_runs = 0
        info = args["host_info"]
        if info is None:
            module_runs += 1
            info = host_read.read(
                lambda module_args: self._execute_module(
                    module_name=INFO_MODULE, module_args=module_args, task_vars=task_vars
                )
            )
        outcome: dict[str, Any]
        problem = None if info.get("failed") else host_facts.read_problem(info)
        if info.get("failed"):
            outcome = {
                "failed": True,
                "msg": f"host {host!r}: container_host_info failed: {info.get('msg')}",
            }
        elif problem:
            # A skipped read audited as a host with nothing on it would report it clean.
            outcome = {"failed": True, "msg": f"host {host!r}: {problem}"}
        else:
            hostvars = trust_options.trust_hostvars(args)
            for option in (
                "trust_limits",
                "trust_registries",
                "network_separation",
                "network_pool",
            ):
                if args.get(option) is not None:
                    hostvars[f"wincontainers_{option}"] = args[option]
            try:
                audit = audit_rules.audit_host(
                    info,
                    hostvars,
                    host,
                    workloads=args["workloads"],
                    owner=args["owner"],
                    updates=args["updates"],
                    hash_key=(
                        container_plan.host_hash_key(args["config_hash_key"], host or "")
                        if args["config_hash_key"]
                        else None
                    ),
                )
            except host_facts.HostFactsError as exc:
                outcome = {"failed": True, "msg": f"host {host!r}: {exc}"}
            else:
                report = audit.to_dict()
                outcome = {
                    "findings": audit_findings.sorted_findings(report["findings"]),
                    "containers": report["containers"],
                    "not_evaluated": report["not_evaluated"],
                    "facts": report["facts"],
                    "summary": summary(host, audit),
                }
        outcome["changed"] = False
        outcome["module_runs"] = module_runs
        result.update(redaction.redact(outcome, secrets))
        return result
