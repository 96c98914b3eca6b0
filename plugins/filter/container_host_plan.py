# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_host_plan
short_description: Decide what provisioning one container host needs, before anything changes
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Takes the result of M(trustbound.wincontainers.container_host_info) and returns the plan the
    C(trustbound.wincontainers.container_host) role carries out on that host - the Windows features
    to install, whether Hyper-V is wanted and why, the validated engine pin and the hardened
    C(daemon.json).
  - Hyper-V is wanted when C(settings.hyperv) is V(true), or V(auto) and the trust policy sends a
    workload of O(workloads) to Hyper-V isolation (asked as if Hyper-V were available), or the
    engine defaults to Hyper-V isolation because the host runs other tenants' workloads.
  - When the host must not be provisioned as configured (Hyper-V wanted on a machine that cannot
    run it, an engine pin the OS refuses, an unsafe C(daemon.json)), the result has an C(error)
    naming the host, the rule and the fix, and the role fails before any change.
positional: hostvars, name, workloads, settings
options:
  _input:
    description: The result of M(trustbound.wincontainers.container_host_info).
    type: dict
    required: true
  hostvars:
    description:
      - The host's variables, C(hostvars[inventory_hostname]), or only its C(wincontainers_*)
        trust variables (what is read); a variable given as null counts as unset.
    type: dict
    required: true
  name:
    description: The host's inventory name, used in messages.
    type: str
    required: true
  workloads:
    description: The host's C(wincontainers_workloads).
    type: raw
    default: []
  settings:
    description:
      - The role's settings, with keys C(hyperv) (V(true), V(false) or V(auto)),
        C(allow_reboot) (a boolean), C(nested_virtualization), C(lock_timeout) (seconds, 0 to
        3600), C(proxy) (C(url), and C(username_given)/C(password_given) as booleans, so the plan
        never receives a proxy password),
        C(engine) (C(runtime), C(version), C(url), C(checksum), C(checksums)) and
        C(daemon) (C(hosts), C(tls), C(group), C(log_max_size), C(log_max_file),
        C(default_isolation), C(extra)).
      - Booleans are read as Ansible reads them (C(yes)/C(no), C(true)/C(false), C(on)/C(off),
        C(1)/C(0), any case); lists and mappings may be given as their JSON text (what AWX
        surveys send). Anything else fails the plan naming the variable, without quoting it.
      - O(workloads) is validated with the same rules as deployment before anything is decided.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Plan the provisioning of this host
  ansible.builtin.set_fact:
    plan: >-
      {{ host_info | trustbound.wincontainers.container_host_plan(hostvars[inventory_hostname],
         inventory_hostname, wincontainers_workloads | default([]), settings) }}

- name: Stop before any change when the plan is refused
  ansible.builtin.fail:
    msg: "{{ plan.error }}"
  when: plan.error is not none
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    error:
      description: Why this host must not be provisioned as configured, or V(null).
      type: str
    rule:
      description: The rule behind RV(_value.error), or V(null).
      type: str
    allow_reboot:
      description: C(container_host_allow_reboot), read as a boolean.
      type: bool
    features:
      description: Windows features to install, V(Containers) always, V(Hyper-V) when wanted.
      type: list
      elements: str
    missing_features:
      description:
        - The features of RV(_value.features) the host has neither C(Installed) nor
          C(InstallPending); the role runs M(ansible.windows.win_feature) only for these, and not
          at all when this is empty.
      type: list
      elements: str
    restart_pending:
      description:
        - Whether a feature of RV(_value.features) is C(InstallPending), installed by an earlier
          run and waiting for the restart that finishes it.
      type: bool
    hyperv:
      description:
        - C(wanted), C(mode), C(reasons), C(installable), C(installable_reason).
        - C(installable) is V(null) for a virtual machine without
          C(container_host_nested_virtualization) - Windows' prerequisite check decides.
      type: dict
    multi_tenant:
      description: Whether the host runs other trust boundaries' or untrusted workloads.
      type: bool
    engine:
      description: The validated engine pin, C(runtime), C(version), C(url), C(checksum).
      type: dict
    daemon_config:
      description: The hardened C(daemon.json) content.
      type: dict
    host:
      description: The trust policy's view of the host.
      type: dict
    warnings:
      description: Things the role reports without failing.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    provision_plan,
)


def container_host_plan(info, hostvars, name, workloads=None, settings=None):
    if not isinstance(info, dict):
        raise AnsibleFilterError(
            "container_host_plan expects the result of container_host_info as input"
        )
    return provision_plan.plan_or_refusal(info, hostvars, name, workloads, settings)


class FilterModule:
    def filters(self):
        return {"container_host_plan": container_host_plan}
