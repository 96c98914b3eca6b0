# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an audit finding is, the catalogue of rules (id, severity, source, fix), and counts.

Pure: no I/O. The rules that produce findings live in ``audit_rules.py``; the
ids and severities here are the stable, documented contract (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CRITICAL = "critical"
HIGH = "high"
MEDIUM = "medium"
LOW = "low"
SEVERITIES = (CRITICAL, HIGH, MEDIUM, LOW)
_RANK = {name: index for index, name in enumerate(SEVERITIES)}

MS_SECURITY = (
    "Microsoft, Windows containers: Securing Windows containers"
    " (manage-containers/container-security.md): only hypervisor-isolated containers provide a"
    " security boundary"
)
MS_HYPERV = (
    "Microsoft, Hyper-V isolation (manage-containers/hyperv-container.md) and container-security.md"
)
MS_COMPAT = "Microsoft, Windows container version compatibility (version-compatibility.md)"
MS_UPDATE = "Microsoft, Update Windows Server containers (deploy-containers/update-containers.md)"
MOBY_MOUNTS = "moby volume/mounts/windows_parser.go (named pipe and host directory mounts)"
DOCKER_DAEMON = (
    "Docker docs, Protect the Docker daemon socket; moby daemon/listeners (npipe, tcp, group)"
)
# Item numbers of the CIS Docker Benchmark v1.6.0 (a Linux benchmark: these are its portable items).
CIS = "CIS Docker Benchmark v1.6.0"


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    source: str
    fix: str


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


RULES: dict[str, Rule] = _rules(
    Rule(
        "WC-USER-ADMIN",
        "Container runs as an administrator account",
        HIGH,
        f"{MS_SECURITY}; ContainerUser is recommended for multi-tenant use. {CIS} 4.1"
        " (run as a non-root user)",
        "set 'user: ContainerUser' on the workload in wincontainers_workloads (Server Core"
        " images default to ContainerAdministrator) and run playbooks/deploy.yml; only if the"
        " risk is accepted, set wincontainers_allow_container_admin: true on the host",
    ),
    Rule(
        "WC-ISO-TRUST",
        "Isolation weaker than trust requires",
        CRITICAL,
        MS_SECURITY,
        "remove 'isolation: process' from the workload in wincontainers_workloads (or set"
        " 'hyperv') and run playbooks/site.yml: the trust policy then runs it under Hyper-V",
    ),
    Rule(
        "WC-ISO-DOWNGRADED",
        "Isolation downgraded by an accepted risk",
        MEDIUM,
        MS_SECURITY,
        "remove 'isolation: process' from the workload, or unset"
        " wincontainers_allow_isolation_downgrade on the host, and run playbooks/deploy.yml",
    ),
    Rule(
        "WC-ISO-UNMANAGED-PROCESS",
        "Container of unknown trust shares the kernel of a multi-tenant host",
        CRITICAL,
        MS_SECURITY,
        "add the container to wincontainers_workloads with its trust_boundary and trust_level"
        " and run playbooks/deploy.yml, or remove it ('docker rm -f'); until then its trust is"
        " unknown and counts as untrusted",
    ),
    Rule(
        "WC-INV-UNMANAGED",
        "Container started outside the collection",
        MEDIUM,
        "this collection's inventory contract (docs/trust-model.md): every container has a"
        " trust decision",
        "add it to the host's wincontainers_workloads and run playbooks/deploy.yml (the"
        " collection replaces it with a managed one), or remove it",
    ),
    Rule(
        "WC-INV-DRIFT",
        "Managed container differs from the inventory",
        MEDIUM,
        "this collection's planner (container_plan.differences)",
        "run playbooks/deploy.yml to bring the host back to wincontainers_workloads",
    ),
    Rule(
        "WC-INV-ORPHAN",
        "Managed container the inventory no longer lists",
        LOW,
        "this collection's planner (purge)",
        "add it back to wincontainers_workloads, or run playbooks/deploy.yml with"
        " container_workloads_purge: true to remove it",
    ),
    Rule(
        "WC-INV-REFUSED",
        "Inventory entry the collection refuses",
        MEDIUM,
        "this collection's workload validation and trust policy (docs/trust-model.md)",
        "correct the entry of wincontainers_workloads named in the evidence (the message says"
        " which field and why); playbooks/deploy.yml refuses the host until then",
    ),
    Rule(
        "WC-INV-NO-BOUNDARY",
        "Host has no trust boundary in the inventory",
        HIGH,
        "this collection's inventory contract (docs/trust-model.md)",
        "set wincontainers_trust_boundary on the host (the organisation that owns its kernel);"
        " until then every container on it counts as untrusted",
    ),
    Rule(
        "WC-HOLE-ENGINE-PIPE",
        "Engine named pipe mapped into a container",
        CRITICAL,
        f"{MOBY_MOUNTS}; {MS_HYPERV}: a mapped \\\\.\\pipe\\docker_engine hands the container"
        f" the host's engine. {CIS} 5.31 (do not mount the Docker socket)",
        "remove the pipe from the container's volumes (wincontainers_workloads refuses it) and"
        " recreate the container (playbooks/deploy.yml, or 'docker rm -f' for one started by"
        " hand)",
    ),
    Rule(
        "WC-HOLE-HOST-ROOT",
        "Drive root of the host mounted into a container",
        CRITICAL,
        f"{MS_HYPERV} (bind mounts are holes in every boundary); {CIS} 5.5 (do not mount"
        " sensitive host system directories)",
        "mount only the folder the workload needs (volumes in wincontainers_workloads) and run"
        " playbooks/deploy.yml",
    ),
    Rule(
        "WC-HOLE-DATA-ROOT",
        "Docker data root mounted into a container",
        CRITICAL,
        f"{MS_HYPERV}; the data root holds every container's layers and the engine's state."
        f" {CIS} 5.5",
        "remove the mount of the data root (daemon.json data-root, default"
        " C:\\ProgramData\\docker) from the container's volumes and run playbooks/deploy.yml",
    ),
    Rule(
        "WC-HOLE-SYSTEM-DIR",
        "System folder of the host mounted into a container",
        HIGH,
        f"{MS_HYPERV}; {CIS} 5.5",
        "mount an application folder instead of C:\\Windows, C:\\Program Files, C:\\Users or"
        " C:\\ProgramData (volumes in wincontainers_workloads) and run playbooks/deploy.yml",
    ),
    Rule(
        "WC-HOLE-DEVICE",
        "Host device assigned to a container",
        HIGH,
        "moby daemon/oci_windows.go (device assignment, process isolation only);"
        f" {MS_HYPERV}; {CIS} 5.17 (do not expose host devices)",
        "recreate the container without --device; this collection never assigns devices",
    ),
    Rule(
        "WC-HOLE-SHARED-NETWORK",
        "Network namespace shared across trust boundaries",
        HIGH,
        "moby daemon/internal/runconfig/hostconfig_windows.go (--network container: is refused"
        f" under Hyper-V); {MS_HYPERV}; {CIS} 5.9",
        "give each trust boundary its own network (networks in wincontainers_workloads, never"
        " 'container:<other>') and run playbooks/deploy.yml",
    ),
    Rule(
        "WC-ENG-DOWN",
        "Engine does not answer: its containers are not evaluated",
        MEDIUM,
        "container_host_info (engine.service_state, engine.api_reachable, engine.daemon_config);"
        " moby cmd/dockerd/daemon.go loadDaemonCliConfig (dockerd does not start with a"
        " daemon.json it cannot parse: 'unable to configure the Docker daemon with file')",
        "start the engine (Start-Service docker) or repair daemon.json (run"
        " playbooks/provision.yml, which writes it), then run this audit again: until the engine"
        " answers, its containers and images cannot be listed or audited",
    ),
    Rule(
        "WC-ENG-TCP-NO-TLS",
        "Engine listens on TCP without client verification",
        CRITICAL,
        f"{DOCKER_DAEMON}; {CIS} 2.6 (TLS authentication for the daemon)",
        "keep container_host_daemon_hosts at [npipe://] or set container_host_daemon_tls"
        " (cacert, cert, key), then run playbooks/provision.yml",
    ),
    Rule(
        "WC-ENG-PIPE-GROUP",
        "A group may open the engine pipe (admin-equivalent)",
        HIGH,
        f"{DOCKER_DAEMON}; {CIS}: only trusted users control the daemon",
        "clear container_host_daemon_group and run playbooks/provision.yml",
    ),
    Rule(
        "WC-ENG-NO-HYPERV-DEFAULT",
        "Multi-tenant host without a Hyper-V default isolation",
        HIGH,
        "moby daemon/daemon_windows.go setDefaultIsolation (exec-opts isolation=hyperv);"
        f" {MS_SECURITY}",
        "set container_host_default_isolation: auto (or hyperv) and run playbooks/provision.yml;"
        " daemon.json then carries exec-opts [isolation=hyperv]",
    ),
    Rule(
        "WC-ENG-UNSUPPORTED",
        "Engine version out of support",
        HIGH,
        "Docker Engine release notes and lifecycle; moby daemon/daemon_windows.go checkSystem"
        " (23.0+ needs build 17763)",
        "pin a supported engine with container_host_engine_version (and its checksum) and run"
        " playbooks/provision.yml",
    ),
    Rule(
        "WC-ENG-DATA-ROOT-ACL",
        "Non-administrators may write to the engine's data root",
        HIGH,
        f"{DOCKER_DAEMON}; {CIS} section 3 (daemon files owned and writable by admins only)",
        "reset the data root's ACL to Administrators and SYSTEM only (icacls <data-root>"
        " /inheritance:r /grant:r Administrators:(OI)(CI)F SYSTEM:(OI)(CI)F), then run this"
        " audit again",
    ),
    Rule(
        "WC-PATCH-UPDATES-PENDING",
        "Windows updates pending on the host",
        HIGH,
        f"{MS_UPDATE}; ansible.windows.win_updates",
        "patch the host (the collection's update playbook, or ansible.windows.win_updates"
        " with reboot: true) in a maintenance window",
    ),
    Rule(
        "WC-PATCH-REBOOT-PENDING",
        "Host waits for a restart",
        MEDIUM,
        "Windows servicing (Component Based Servicing / Windows Update RebootRequired keys)",
        "restart the host in a maintenance window (ansible.windows.win_reboot), then run"
        " playbooks/deploy.yml so every workload runs again",
    ),
    Rule(
        "WC-PATCH-LEASE",
        "Host held by a patch's lease on the host lock",
        MEDIUM,
        "trustbound.wincontainers docs/updates.md (one writer per host, across the restarts):"
        " a patch holds the host from its drain to its restore; deployments wait for it",
        "when no patch runs on the host now, run playbooks/patch.yml for it with -e"
        " container_updates_resume_lease=<lease_id>: it brings the drained workloads back and"
        " ends the lease; otherwise the lease runs out by itself at lease_until",
    ),
    Rule(
        "WC-PATCH-IMAGE-BEHIND",
        "Container image older than the host's patch level",
        MEDIUM,
        f"{MS_UPDATE}: containers are patched by replacing their image",
        "pull the current monthly image (or pin its version tag) in wincontainers_workloads and"
        " run playbooks/deploy.yml",
    ),
    Rule(
        "WC-PATCH-2016-REVISION",
        "Server 2016 process isolation with an image revision not the host's",
        HIGH,
        f"{MS_COMPAT}: on Windows Server 2016 process isolation needs the exact revision",
        "use an image at the host's revision (10.0.14393.<host revision>) or run the workload"
        " under Hyper-V (isolation: hyperv in wincontainers_workloads), then run"
        " playbooks/deploy.yml; pre-stage the new image before patching the host",
    ),
    Rule(
        "WC-RES-NO-LIMITS",
        "Container without memory or CPU limits on a shared host",
        MEDIUM,
        f"{CIS} 5.10 and 5.11 (memory and CPU limits); Microsoft, resource controls for Windows"
        " containers (manage-containers/resource-controls.md)",
        "set memory and cpus on the workload in wincontainers_workloads and run"
        " playbooks/deploy.yml",
    ),
    # Issue 20: trust boundaries beyond the kernel (audit_trust_rules.py).
    Rule(
        "WC-NET-SHARED-BOUNDARY",
        "Containers of different trust boundaries or levels on one network",
        MEDIUM,
        "Microsoft, Network isolation and security (container-networking/"
        "network-isolation-security.md): Windows Server containers allow all traffic by default;"
        " microsoft/Windows-Containers#617: NAT traffic is steered by HNS/VFP, not the host"
        " firewall",
        "give each trust boundary and level its own network (networks in wincontainers_workloads,"
        " a NAT network per group created with 'docker network create -d nat --subnet ...';"
        " networks: [none] for hostile code that publishes nothing) and run"
        " playbooks/deploy.yml; whether two NAT networks on one host reach each other is not"
        " documented (docs/security.md)",
    ),
    Rule(
        "WC-RES-TRUST-CEILING",
        "Container without its trust level's resource ceiling, or above it",
        MEDIUM,
        f"{CIS} 5.10 and 5.11; this collection's wincontainers_trust_limits (docs/trust-model.md):"
        " a hostile tenant without limits can exhaust the host's memory and CPUs, and fill"
        " the data root's disk through its scratch disk (storage)",
        "run playbooks/deploy.yml: a workload without a limit gets its level's ceiling, and one"
        " above it is refused unless wincontainers_trust_limits.<level>.allow_raise is true",
    ),
    Rule(
        "WC-SRC-REGISTRY",
        "Image from a registry outside its trust level's list",
        HIGH,
        "this collection's wincontainers_trust_registries (docs/trust-model.md)",
        "pull the workload's image from a registry its trust level lists (or add the registry to"
        " wincontainers_trust_registries.<level>.registries if it is trusted for that level) and"
        " run playbooks/deploy.yml",
    ),
    Rule(
        "WC-SRC-NOT-PINNED",
        "Image named by tag where its trust level must pin a digest",
        MEDIUM,
        "this collection's wincontainers_trust_registries (docs/trust-model.md): a moved tag"
        " brings other code in",
        "name the image by digest (name@sha256:<digest>) in wincontainers_workloads and run"
        " playbooks/deploy.yml",
    ),
)


@dataclass
class Finding:
    id: str
    host: str
    evidence: dict[str, Any]
    container: str | None = None
    detail: str = ""
    fix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> Rule:
        return RULES[self.id]

    @property
    def severity(self) -> str:
        return self.rule.severity

    def to_dict(self) -> dict[str, Any]:
        rule = self.rule
        return {
            "id": self.id,
            "title": rule.title,
            "severity": rule.severity,
            "host": self.host,
            "container": self.container,
            "detail": self.detail or rule.title,
            "evidence": dict(self.evidence),
            "rule": rule.source,
            "fix": self.fix or rule.fix,
        }


def severity_rank(severity: str) -> int:
    """0 for critical ... 3 for low; ValueError for anything else."""
    try:
        return _RANK[severity]
    except KeyError:
        raise ValueError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}") from None


def at_or_above(severity: str, threshold: str) -> bool:
    return severity_rank(severity) <= severity_rank(threshold)


def sort_key(finding: Mapping[str, Any]) -> tuple:
    return (
        severity_rank(finding["severity"]),
        finding["host"],
        finding.get("container") or "",
        finding["id"],
    )


def sorted_findings(findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return sorted((dict(f) for f in findings), key=sort_key)


def counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Findings per severity, every severity present (0 when none)."""
    result = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        result[finding["severity"]] += 1
    return result
