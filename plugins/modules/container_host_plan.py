#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_host_plan.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_host_plan
short_description: Read a Windows container host once and decide its provisioning
version_added: 0.2.0
description:
  - Reads the host with one M(trustbound.wincontainers.container_host_info) run and decides on
    the controller what the C(trustbound.wincontainers.container_host) role must do there - the
    Windows features to install, whether Hyper-V is wanted and why, the validated engine pin and
    the hardened C(daemon.json) - and compares that plan with the read, so the role runs its
    change steps only when the host differs. It changes nothing on the host.
  - The plan is the one the P(trustbound.wincontainers.container_host_plan#filter) filter makes
    from a given read; see that filter for how O(settings) and the trust options are read.
  - When the host must not be provisioned as configured (Hyper-V wanted on a machine that cannot
    run it, an engine pin the OS refuses, an unsafe C(daemon.json), a workload the deployment
    would refuse), the task fails with a message naming the host, the rule and the fix, before
    any change.
  - With O(plan), a result of this module registered earlier in the play, the host is read again
    and checked against that plan instead of planning again, and the task fails unless nothing
    is left to change. The role uses this after its changes as the readiness check.
  - With O(validate_roles), the variables of those roles are checked first, before the host is
    read.
  - The result's RV(info) is the read. A later task of the same play may hand it on (for example
    to the O(trustbound.wincontainers.container_workloads#module:host_info) option) only while
    nothing has changed on the host since.
options:
  workloads:
    description:
      - The host's C(wincontainers_workloads), validated by the deployment's own rules. They
        decide whether Hyper-V is wanted and the engine's default isolation.
    type: raw
    default: []
  trust_boundary:
    description: C(wincontainers_trust_boundary), the organisation or tenant that owns the host.
    type: raw
  isolation_preference:
    description: C(wincontainers_isolation_preference).
    type: raw
  allow_isolation_downgrade:
    description: C(wincontainers_allow_isolation_downgrade), read as Ansible reads booleans.
    type: raw
  allow_container_admin:
    description: C(wincontainers_allow_container_admin), read as Ansible reads booleans.
    type: raw
  settings:
    description:
      - The role's settings, the C(settings) of the
        P(trustbound.wincontainers.container_host_plan#filter) filter - C(hyperv),
        C(allow_reboot), C(nested_virtualization), C(lock_timeout),
        C(proxy) (C(url), C(username_given), C(password_given); never a password), C(engine) and
        C(daemon).
    type: dict
    default: {}
  plan:
    description:
      - A result of this module from earlier in the play. The host is read and compared with
        this plan's features, engine pin and C(daemon.json); O(workloads), O(settings) and the
        trust options are not read.
    type: dict
  validate_roles:
    description:
      - Roles of this collection (V(container_host), V(container_workloads),
        V(container_updates)) whose variables are checked first against their
        C(meta/argument_specs.yml), as ansible-core checks a role when it starts. A refused
        variable fails the task before the host is read (rule V(role-arguments)).
      - For a playbook that imports the roles with C(rolespec_validate=false), so a bad input of a
        later role stops the host before provisioning changes anything and a host pays for one
        check instead of one per role. The site playbook passes both of its roles.
    type: list
    elements: str
    default: []
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
    details: The module only reads the host, in check mode as otherwise.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: windows
seealso:
  - module: trustbound.wincontainers.container_host_info
  - module: trustbound.wincontainers.container_engine
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Read the host and plan its provisioning
  trustbound.wincontainers.container_host_plan:
    workloads: "{{ wincontainers_workloads | default([]) }}"
    trust_boundary: "{{ wincontainers_trust_boundary | default(omit) }}"
    settings:
      hyperv: auto
      allow_reboot: true
      engine:
        version: "27.3.1"
        checksum: ""
  register: container_host_plan

- name: Provision only when the host differs from the plan
  ansible.builtin.debug:
    msg: "to change: {{ container_host_plan.changes }}"
  when: container_host_plan.changes.needed

- name: After the changes, read the host again and fail unless it is ready
  trustbound.wincontainers.container_host_plan:
    plan: "{{ container_host_plan }}"
  register: container_host_plan
"""

RETURN = r"""
info:
  description:
    - The result of M(trustbound.wincontainers.container_host_info) this task read.
  returned: success
  type: dict
changes:
  description: What provisioning would still change on the host as RV(info) reads it.
  returned: success
  type: dict
  contains:
    needed:
      description: Whether any of the others is set; the role includes its change steps only then.
      type: bool
    features:
      description: Features of RV(features) the host has neither installed nor pending a restart.
      type: list
      elements: str
    restart_pending:
      description: Whether a feature of RV(features) waits for the restart that finishes it.
      type: bool
    engine_steps:
      description:
        - The steps M(trustbound.wincontainers.container_engine) would carry out, in order
          (C(install), C(register_service), C(write_config), C(restart), C(start), ...).
      type: list
      elements: str
features:
  description: Windows features the host needs, V(Containers) always, V(Hyper-V) when wanted.
  returned: success
  type: list
  elements: str
missing_features:
  description: Same as RV(changes.features).
  returned: success
  type: list
  elements: str
restart_pending:
  description: Same as RV(changes.restart_pending).
  returned: success
  type: bool
allow_reboot:
  description: C(settings.allow_reboot), read as a boolean.
  returned: success
  type: bool
os_build:
  description: The host's Windows build.
  returned: success
  type: int
  sample: 20348
hyperv:
  description:
    - C(wanted), C(mode), C(reasons), C(installable), C(installable_reason), as the filter
      returns them.
  returned: success
  type: dict
multi_tenant:
  description: Whether the host runs other trust boundaries' or untrusted workloads.
  returned: success
  type: bool
multi_tenant_reasons:
  description: Why RV(multi_tenant) is true, one entry per workload that makes it so.
  returned: success
  type: list
  elements: str
engine:
  description: The validated engine pin, C(runtime), C(version), C(url), C(checksum).
  returned: success
  type: dict
daemon_config:
  description: The hardened C(daemon.json) content.
  returned: success
  type: dict
host:
  description: The trust policy's view of the host.
  returned: success
  type: dict
error:
  description: V(null) on success.
  returned: success
  type: str
rule:
  description:
    - The rule a refusal names (a plan rule, V(host-ready), V(role-arguments)); V(null) on
      success.
  returned: success, and when the arguments, the plan or the readiness check were refused
  type: str
  sample: hyperv-installable
argument_errors:
  description: One message per variable O(validate_roles) refused, each starting C(role <name>:).
  returned: when a variable of O(validate_roles) was refused
  type: list
  elements: str
"""
