#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_audit.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_audit
short_description: Audit what runs on a Windows container host against its trust and hardening
version_added: 0.1.0
description:
  - Reads one Windows Server container host and reports compliance findings about every
    container on it, managed or started by hand, and about its engine and patch level.
  - "Read-only: the only module it runs is M(trustbound.wincontainers.container_host_info), once
    per host, or none when O(host_info) passes that module's registered result. It changes nothing,
    in or out of check mode, and is safe to run as often as wanted (an AWX schedule)."
  - Each finding has a stable C(id), a C(severity) (V(critical), V(high), V(medium), V(low)), the
    C(host), the C(container) when it is about one, the C(evidence) (the facts that triggered it),
    the C(rule) source (Microsoft documentation, moby source, CIS Docker Benchmark item) and a
    C(fix) naming the inventory variable or playbook that corrects it. Every rule is listed in
    C(docs/audit.md) in the collection.
  - Environment variable values are never read from the host (only their names), so no secret can
    reach a finding; C(secret_env) values given in O(workloads) are masked in the result.
  - The same trust policy, workload validation and drift detection as
    M(trustbound.wincontainers.container_workloads) decide what is compliant.
options:
  host_info:
    description:
      - The registered result of M(trustbound.wincontainers.container_host_info) for this host.
        When given, the action runs no module at all.
    type: dict
  workloads:
    description: The host's workloads, normally C(wincontainers_workloads).
    type: list
    elements: raw
    default: []
  trust_boundary:
    description: The host's trust boundary (C(wincontainers_trust_boundary)).
    type: str
  isolation_preference:
    description: C(wincontainers_isolation_preference).
    type: str
    choices: [process, hyperv]
  allow_isolation_downgrade:
    description: C(wincontainers_allow_isolation_downgrade).
    type: bool
  allow_container_admin:
    description: C(wincontainers_allow_container_admin).
    type: bool
  trust_limits:
    description:
      - C(wincontainers_trust_limits), the resource ceilings per trust level (rule
        C(WC-RES-TRUST-CEILING)); its defaults apply when not given.
    type: raw
  trust_registries:
    description:
      - C(wincontainers_trust_registries), the image sources per trust level (rules
        C(WC-SRC-REGISTRY), C(WC-SRC-NOT-PINNED)).
    type: raw
  network_separation:
    description:
      - C(wincontainers_network_separation); with O(network_pool), the networks the drift check
        expects (a network per trust group, as the deployment makes them).
    type: raw
  network_pool:
    description: C(wincontainers_network_pool).
    type: raw
  owner:
    description:
      - The owner label of the containers this inventory manages (C(container_workloads_owner)).
    type: str
    default: trustbound.wincontainers
  config_hash_key:
    description:
      - The deployment's C(container_workloads_config_hash_key), so that the drift rule compares
        the keyed config-hash labels the way M(trustbound.wincontainers.container_workloads) wrote
        them. Without it, containers deployed with a key are reported as drifted.
    type: str
  updates:
    description:
      - The registered result of C(ansible.windows.win_updates) with C(state=searched). Updates in
        it that are not installed are reported; without it the pending-updates rule is listed under
        RV(not_evaluated).
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The action never changes the host; check mode gives the same findings.
  diff_mode:
    support: none
    details: Changes nothing, so there is nothing to diff.
  platform:
    support: full
    platforms: windows
    details: Windows Server 2016 and later.
notes:
  - Takes the data root from C(daemon.json) C(data-root) (default C(C:\ProgramData\docker)).
  - The data root's ACL is checked only when C(container_host_info) reports it
    (C(engine.data_root_sddl)); otherwise the rule is listed under RV(not_evaluated).
seealso:
  - module: trustbound.wincontainers.container_host_info
  - module: trustbound.wincontainers.container_workloads
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Audit this host against its inventory
  trustbound.wincontainers.container_audit:
    workloads: "{{ wincontainers_workloads | default([]) }}"
    trust_boundary: "{{ wincontainers_trust_boundary | default(omit) }}"
    allow_container_admin: "{{ wincontainers_allow_container_admin | default(omit) }}"
  register: audit

- name: Reuse a read made earlier in the play (no second module run)
  trustbound.wincontainers.container_audit:
    host_info: "{{ host_info }}"
    workloads: "{{ wincontainers_workloads | default([]) }}"
    trust_boundary: "{{ wincontainers_trust_boundary }}"
"""

RETURN = r"""
changed:
  description: Always false.
  returned: always
  type: bool
findings:
  description: The findings, most severe first.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Stable rule id (see C(docs/audit.md)).
      type: str
      sample: WC-HOLE-ENGINE-PIPE
    title:
      description: The rule's title.
      type: str
    severity:
      description: V(critical), V(high), V(medium) or V(low).
      type: str
    host:
      description: The inventory host name.
      type: str
    container:
      description: The container's name, null for a host-level finding.
      type: str
    detail:
      description: One sentence on this occurrence.
      type: str
    evidence:
      description: The facts that triggered the finding.
      type: dict
    rule:
      description: Where the rule comes from.
      type: str
    fix:
      description: What to change, naming the inventory variable or playbook.
      type: str
containers:
  description:
    - Every container with its isolation, user (and where it comes from), trust, image revision
      and limits.
  returned: success
  type: list
  elements: dict
not_evaluated:
  description: Rules that could not be evaluated on this host, each with C(id) and C(reason).
  returned: success
  type: list
  elements: dict
facts:
  description:
    - The host facts the report shows (OS version, engine, trust boundary, multi-tenant and why).
  returned: success
  type: dict
summary:
  description:
    - C(host), C(findings) (count), C(by_severity), C(containers) (count), C(not_evaluated) (ids).
  returned: success
  type: dict
  sample: {host: ws2022, findings: 2, by_severity: {critical: 1, high: 1, medium: 0, low: 0}}
module_runs:
  description: Module runs this task made on the host (1, or 0 with O(host_info)).
  returned: always
  type: int
"""
