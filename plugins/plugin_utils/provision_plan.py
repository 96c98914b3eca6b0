# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the container_host role must do on one host, decided before anything changes.

``plan()`` takes ``container_host_info`` output, the host's inventory
variables, its ``wincontainers_workloads`` and the role's settings, and
returns the features to install, whether Hyper-V is wanted (and why), the
validated engine pin and the hardened daemon.json; or raises
``ProvisionError`` naming the host, the rule and the fix.
``reboot()`` decides, after the feature installs, whether the host must
restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    daemon_config,
    engine_release,
    host_facts,
    host_lock,
    inputs,
    redaction,
    trust_policy,
    workload_spec,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal

CONTAINERS = "Containers"
HYPERV_FEATURE = "Hyper-V"
HYPERV_MODES = ("auto", "true", "false")


class ProvisionError(Refusal):
    """The role must stop on this host before changing anything."""


def _bad_input(host: str, variable: str, exc: Exception) -> ProvisionError:
    return ProvisionError(
        f"host {host!r}: refused by rule 'bad-field': {exc}. Nothing was changed on the host.",
        host=host,
        rule="bad-field",
        field=variable,
    )


def _hyperv_mode(value: Any, host: str) -> str:
    """``auto``, or a boolean read as Ansible reads one."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return "auto"
    try:
        return "true" if inputs.to_bool(value, "container_host_hyperv") else "false"
    except inputs.InputTypeError as exc:
        raise _bad_input(host, "container_host_hyperv", f"{exc} or auto") from None


def read_settings(settings: Mapping[str, Any], host: str) -> dict[str, Any]:
    """The role's settings with survey text read as the declared types (inputs.py), or a
    refusal naming the variable. Only the keys given are read."""
    engine = dict(settings.get("engine") or {})
    daemon = dict(settings.get("daemon") or {})
    readers = (
        (engine, "checksums", "container_host_engine_checksums", inputs.to_mapping),
        (daemon, "hosts", "container_host_daemon_hosts", inputs.to_list),
        (daemon, "tls", "container_host_daemon_tls", inputs.to_mapping),
        (daemon, "extra", "container_host_daemon_extra_config", inputs.to_mapping),
        (daemon, "log_max_file", "container_host_daemon_log_max_file", inputs.to_positive_int),
    )
    try:
        for section, key, variable, reader in readers:
            if key in section and section[key] is not None:
                section[key] = reader(section[key], variable)
        allow_reboot = inputs.optional_bool(
            settings.get("allow_reboot"), "container_host_allow_reboot", True
        )
    except inputs.InputTypeError as exc:
        raise _bad_input(host, str(exc).split(" ", 1)[0], exc) from None
    return {**settings, "engine": engine, "daemon": daemon, "allow_reboot": allow_reboot}


def check_engine_access(settings: Mapping[str, Any], host: str) -> None:
    """What the engine task would refuse after the features were installed: the download
    proxy and the host lock's wait, refused here before any change."""
    proxy = settings.get("proxy") or {}
    try:
        engine_release.validate_proxy(
            host=host,
            url=proxy.get("url"),
            username_given=bool(proxy.get("username_given")),
            password_given=bool(proxy.get("password_given")),
        )
        if "lock_timeout" in settings:
            host_lock.wait_seconds(settings["lock_timeout"], host, "container_host_lock_timeout")
    except Refusal as exc:
        raise ProvisionError(str(exc), host=host, rule=exc.rule, field=exc.field) from None


def validated_workloads(workloads: Any, host: str) -> list[workload_spec.WorkloadSpec]:
    """wincontainers_workloads read by the deployer's own rules (workload_spec): provisioning
    decides Hyper-V and the engine's default isolation from them, so it acts on nothing it
    has not validated."""
    try:
        return workload_spec.normalise_workloads(workloads, host=host)
    except workload_spec.WorkloadSpecError as exc:
        raise ProvisionError(
            f"{exc}. Provisioning stops before any change: it decides Hyper-V and the engine's"
            " default isolation from these workloads.",
            host=host,
            rule=exc.rule,
            field="wincontainers_workloads",
        ) from None


def _workload_name(workload: Any, index: int) -> str:
    if isinstance(workload, Mapping) and workload.get("name"):
        return str(workload["name"])
    return f"#{index}"


def _fallback_needs(workload: Any, host: Mapping[str, Any]) -> tuple[bool, bool]:
    """(needs Hyper-V, other tenant) from the raw fields when the policy refuses the workload."""
    if not isinstance(workload, Mapping):
        return False, False
    boundary = workload.get("trust_boundary") or host.get("trust_boundary")
    other = boundary != host.get("trust_boundary") or workload.get("trust_level") in (
        trust_policy.UNTRUSTED,
        trust_policy.HOSTILE,
    )
    return other or workload.get("isolation") == "hyperv", other


def workload_needs(
    policy_host: Mapping[str, Any], workloads: Sequence[workload_spec.WorkloadSpec]
) -> tuple[list[str], list[str], list[str]]:
    """Ask the trust policy about each workload as if Hyper-V were available.

    Returns (reasons Hyper-V is needed, reasons the host runs other tenants'
    workloads, warnings). A refusal that is about the workload (the deployer
    reports it) falls back to the raw trust fields; a refusal about the host
    (no trust boundary, a bad host variable) is raised: nothing can be decided.
    """
    hypothetical = dict(policy_host, hyperv_available=True)
    hyperv: list[str] = []
    tenants: list[str] = []
    warnings: list[str] = []
    for index, spec in enumerate(workloads or []):
        workload = spec.policy_input(None) if isinstance(spec, workload_spec.WorkloadSpec) else spec
        name = _workload_name(workload, index)
        try:
            decision = trust_policy.decide(workload, hypothetical)
        except trust_policy.PolicyError as exc:
            if exc.rule == trust_policy.RULE_BAD_FIELD and str(exc.field or "").startswith("host"):
                raise ProvisionError(
                    str(exc), host=exc.host, rule=exc.rule, field=exc.field
                ) from None
            needs, other = _fallback_needs(workload, policy_host)
            warnings.append(
                f"workload {name}: the trust policy refuses it ({exc}); "
                "provisioning decided from its trust fields"
            )
        else:
            needs, other = decision.isolation == "hyperv", decision.hyperv_required
        if needs:
            hyperv.append(f"workload {name} runs under Hyper-V isolation")
        if other:
            tenants.append(f"workload {name} is from another trust boundary or not trusted")
    return hyperv, tenants, warnings


def plan(
    info: Mapping[str, Any],
    hostvars: Mapping[str, Any],
    name: str,
    workloads: Sequence[Any] | None,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The role's plan for one host, or ProvisionError before any change."""
    try:
        policy_host = host_facts.policy_host(info, hostvars, name)
        build = host_facts.os_build(info)
    except host_facts.HostFactsError as exc:
        raise ProvisionError(
            f"host {name!r}: {exc} (rule 'host-facts')", host=name, rule="host-facts"
        ) from None
    warnings: list[str] = []
    settings = read_settings(settings, name)
    mode = _hyperv_mode(settings.get("hyperv", "auto"), name)

    workloads = [spec for spec in validated_workloads(workloads, name) if spec.state != "absent"]
    if workloads:
        hyperv_reasons, tenant_reasons, more = workload_needs(policy_host, workloads)
        warnings.extend(more)
    else:
        hyperv_reasons, tenant_reasons = [], []

    try:
        release = engine_release.pin_from_settings(
            settings.get("engine") or {}, host=name, os_build=build
        )
    except engine_release.EngineReleaseError as exc:
        raise ProvisionError(str(exc), host=name, rule=exc.rule, field=exc.field) from None
    warnings.extend(release.warnings)
    check_engine_access(settings, name)

    daemon_settings = dict(settings.get("daemon") or {})
    try:
        config = daemon_config.build(
            daemon_settings,
            host=name,
            multi_tenant=bool(tenant_reasons),
            engine_version=release.version,
        )
    except daemon_config.DaemonConfigError as exc:
        raise ProvisionError(str(exc), host=name, rule=exc.rule, field=exc.field) from None
    if daemon_config.default_isolation(config) == "hyperv":
        hyperv_reasons.append("the engine defaults to Hyper-V isolation (exec-opts)")

    if mode == "true":
        hyperv_reasons.insert(0, "container_host_hyperv is true")
    wanted = mode == "true" or (mode == "auto" and bool(hyperv_reasons))
    if mode == "false" and hyperv_reasons:
        warnings.append(
            f"host {name!r}: container_host_hyperv is false, so Hyper-V is not installed, "
            f"but {'; '.join(hyperv_reasons)}: those containers will be refused or fail to start"
        )

    nested = _optional_bool(settings.get("nested_virtualization"), name)
    installable, why = host_facts.hyperv_installable(info, nested)
    if wanted and installable is False:
        raise ProvisionError(
            f"host {name!r}: Hyper-V is needed ({'; '.join(hyperv_reasons)}) but cannot be "
            f"installed (rule 'hyperv-installable'): {why}. Nothing was changed on the host.",
            host=name,
            rule="hyperv-installable",
        )

    features = [CONTAINERS] + ([HYPERV_FEATURE] if wanted else [])
    return {
        "host": policy_host,
        "allow_reboot": settings["allow_reboot"],
        "os_build": build,
        "features": features,
        "missing_features": missing_features(info, features),
        "restart_pending": restart_pending(info, features),
        "hyperv": {
            "wanted": wanted,
            "mode": mode,
            "reasons": hyperv_reasons,
            "installable": installable,
            "installable_reason": why,
        },
        "multi_tenant": bool(tenant_reasons),
        "multi_tenant_reasons": tenant_reasons,
        "engine": release.as_dict(),
        "daemon_config": config,
        "warnings": warnings,
    }


def plan_or_refusal(
    info: Mapping[str, Any],
    hostvars: Mapping[str, Any] | None,
    name: str,
    workloads: Sequence[Any] | None,
    settings: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """``plan()`` with ``error`` and ``rule`` set to None, or only those (and no warnings)
    when it refuses; no secret_env value of ``workloads`` is in the error. A variable given
    as None counts as unset: the policy applies its default."""
    hostvars = {key: value for key, value in (hostvars or {}).items() if value is not None}
    try:
        result = plan(info, hostvars, name, workloads or [], settings or {})
    except ProvisionError as exc:
        secrets = redaction.workload_secrets(workloads)
        return {"error": redaction.redact(str(exc), secrets), "rule": exc.rule, "warnings": []}
    result.update(error=None, rule=None)
    return result


def missing_features(info: Mapping[str, Any], features: Sequence[str]) -> list[str]:
    """The features of ``features`` the host has neither installed nor pending a restart."""
    done = (host_facts.INSTALLED, host_facts.INSTALL_PENDING)
    return [name for name in features if host_facts.feature_state(info, name) not in done]


def restart_pending(info: Mapping[str, Any], features: Sequence[str]) -> bool:
    """A feature of ``features`` was installed and waits for the restart that finishes it."""
    return any(
        host_facts.feature_state(info, name) == host_facts.INSTALL_PENDING for name in features
    )


def _optional_bool(value: Any, name: str) -> bool | None:
    if value is None or value == "":
        return None
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ProvisionError(
            f"host {name!r}: refused by rule 'bad-field': container_host_nested_virtualization "
            f"must be true, false or unset, not {value!r}. Nothing was changed on the host.",
            host=name,
            rule="bad-field",
            field="container_host_nested_virtualization",
        ) from None


PREREQUISITE_FAILED = "A prerequisite check for the Hyper-V feature failed"


def feature_failure(
    result: Mapping[str, Any], info: Mapping[str, Any], name: str, plan_: Mapping[str, Any]
) -> str:
    """The message for a failed feature install; Windows' Hyper-V prerequisite refusal gets the fix.

    ServerManager's ``Install-WindowsFeature`` runs its prerequisite check
    before it installs anything (FullyQualifiedErrorId
    ``Alteration_PrerequisiteCheck_Failed``), so nothing changed on the host.
    """
    msg = str((result or {}).get("msg") or "the feature install failed without a message")
    text = msg.removeprefix("Unhandled exception while executing module: ").strip()
    if PREREQUISITE_FAILED not in text:
        return f"host {name!r}: installing {_names(plan_.get('features'))} failed: {text}"
    hyperv = plan_.get("hyperv") or {}
    reasons = "; ".join(hyperv.get("reasons") or []) or "container_host_hyperv"
    virtual = bool((info.get("machine") or {}).get("is_virtual", True))
    fix = host_facts.NESTED_VIRTUALIZATION_FIX if virtual else host_facts.FIRMWARE_FIX
    windows = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return (
        f"host {name!r}: Hyper-V is needed ({reasons}) but Windows refused to install it "
        f"(rule 'hyperv-installable'): {windows} Fix: {fix}. Nothing was changed on the host."
    )


def reboot(
    feature_results: Sequence[Mapping[str, Any]] | None,
    info: Mapping[str, Any],
    features: Sequence[str],
) -> dict[str, Any]:
    """Whether the host must restart now, and why.

    A restart is required when a feature install this run says so, or when a
    feature the host needs is still ``InstallPending`` from an earlier run
    (its install finished but the restart never happened). A pending restart
    for other reasons (Windows Update, file renames) alone does not restart
    the host; it is cleared when the role restarts anyway.
    """
    reasons: list[str] = []
    for result in feature_results or []:
        if not isinstance(result, Mapping) or result.get("skipped"):
            continue
        if result.get("reboot_required"):
            names = result.get("item") or features
            reasons.append(f"installing {_names(names)} requires a restart")
    for feature in features:
        if host_facts.feature_state(info, feature) == host_facts.INSTALL_PENDING:
            reasons.append(f"{feature} is InstallPending (installed, waiting for a restart)")
    if reasons and info.get("reboot_pending"):
        reasons.append("a restart was already pending on the host")
    return {"required": bool(reasons), "reasons": reasons}


def _names(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        return ", ".join(str(v) for v in value)
    return "a feature"
