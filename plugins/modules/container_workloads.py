#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_workloads.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_workloads
short_description: Run a Windows host's containers with isolation and user chosen from trust
version_added: 0.1.0
description:
  - Makes the containers of one Windows Server container host match its inventory. Every
    container gets an explicit isolation (C(process) or C(hyperv)) and user decided by the
    collection's trust policy from the workload's and the host's trust variables, the same
    policy as the P(trustbound.wincontainers.isolation_decision#filter) filter.
  - "Module runs per host: one M(trustbound.wincontainers.container_host_info) to read the host;
    one M(trustbound.wincontainers.container_steps) to pull images the decision needs and that the
    host lacks (never in check mode); one M(trustbound.wincontainers.container_steps) with every
    container change. When nothing has to change the task makes one module run, whatever the
    number of workloads."
  - Every entry of O(workloads) is validated, and the policy decides for every workload, before
    anything on the host changes. A refusal fails the host with a message naming the host, the
    workload and the rule.
  - A workload whose image, isolation, user, labels or configuration differ from the running
    container is replaced without losing it. The new container is created under a temporary name
    (C(<name>-tbwc-new)), started and checked before the old one is removed and the new one
    renamed. When the workload publishes fixed host ports, the old container is stopped before
    the new one starts (a host port can be bound only once) and started again if the new one
    fails.
  - A running container that uses an administrator account (C(ContainerAdministrator),
    C(NT AUTHORITY\SYSTEM), ...) while the host does not allow admin containers is replaced
    (O(enforcement=enforce)) or reported and the host failed (O(enforcement=report)).
  - Containers this action creates carry labels C(trustbound.wincontainers.*) (managed, owner,
    workload, trust boundary, trust level, isolation, config hash); O(purge=true) removes
    managed containers of the same O(owner) that the inventory no longer lists, never others.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - trustbound.wincontainers.workload_options
options:
  end_lease:
    description:
      - With O(lease_id), end that lease however the task ends - after a successful apply (which
        ends it), with nothing to change, after a refusal or a failed step. RV(lease_ended) says
        whether it ended. The patch's restore uses it.
    type: bool
    default: false
  keep_going:
    description:
      - When a workload's change fails (its container does not start, the engine refuses it), read
        the host again and reconcile the other workloads without it, instead of leaving them as
        they are. The task still fails, listing in RV(not_reconciled) each workload it could not
        bring to its state with the engine's message.
      - The patch's restore uses it - every drained workload that can start again does.
    type: bool
    default: false
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details:
      - Nothing is pulled or changed; the planned steps are returned. An image the host lacks is not
        pulled, so the decision is made on trust alone and its reasons say "image version unknown".
  diff_mode:
    support: full
    details: Before and after of each workload that changes; environment values are not shown.
  platform:
    support: full
    platforms: windows
notes:
  - The hash in the C(trustbound.wincontainers.config_hash) label covers secret values so that a
    changed secret replaces the container. It reveals nothing that C(docker inspect) does not
    already show to whoever can read labels (see C(docs/container_workloads.md)); task output
    (steps, diffs) shows it masked, since job logs reach people without engine access.
seealso:
  - module: trustbound.wincontainers.container_host_info
  - module: trustbound.wincontainers.container_steps
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Deploy this host's workloads (the role passes the host's trust variables)
  trustbound.wincontainers.container_workloads:
    workloads: "{{ wincontainers_workloads }}"
    trust_boundary: "{{ wincontainers_trust_boundary }}"
    purge: true

- name: A trusted service of the host's owner, a partner's API and an untrusted build job
  trustbound.wincontainers.container_workloads:
    trust_boundary: acme
    workloads:
      - name: web
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022
        command: [ping, -t, localhost]
        ports: ["8080:80"]
        restart_policy: unless-stopped
      - name: partner-api
        image: registry.partner.example:5000/api:2.1
        trust_boundary: partner-a
        secret_env:
          API_TOKEN: "{{ vault_partner_api_token }}"
        memory: 1g
        cpus: 2
      - name: build
        image: mcr.microsoft.com/windows/servercore:ltsc2022
        trust_level: untrusted
        state: stopped
    registry_credentials:
      - registry: registry.partner.example:5000
        username: deploy
        password: "{{ vault_partner_registry_password }}"

- name: Audit only - report containers running as an administrator account
  trustbound.wincontainers.container_workloads:
    workloads: "{{ wincontainers_workloads }}"
    trust_boundary: "{{ wincontainers_trust_boundary }}"
    enforcement: report
"""

RETURN = r"""
changed:
  description: Whether any container changed (or would, in check mode).
  returned: always
  type: bool
lease_ended:
  description: With O(end_lease), whether the lease ended.
  returned: when O(end_lease) and O(lease_id) are given, not in check mode
  type: bool
not_reconciled:
  description:
    - With O(keep_going), each workload that could not be brought to its state, with the message
      of its failure; the others were reconciled.
  returned: when O(keep_going) is true and the workloads were valid
  type: list
  elements: dict
  contains:
    name:
      description: The workload.
      type: str
    msg:
      description: Why (the engine's message, what was rolled back).
      type: str
summary:
  description: "One line per workload: C(<name>: <action> (<isolation>, <user>))."
  returned: when the workloads were valid
  type: list
  elements: str
  sample: ["web: create (process, ContainerUser)", "partner-api: none (hyperv, ContainerUser)"]
decisions:
  description:
    - Each line of RV(summary) with the reasons for its isolation and user (the
      C(decision.reasons) of RV(workloads)); what the role shows.
  returned: when the workloads were valid
  type: dict
  sample:
    "web: create (process, ContainerUser)":
      - trusted workload of the host's own trust boundary may share the kernel
workloads:
  description: One entry per workload (and per purged container).
  returned: when the workloads were valid
  type: list
  elements: dict
  contains:
    name:
      description: Workload (container) name.
      type: str
      sample: web
    action:
      description:
        - V(create), V(replace), V(start), V(stop), V(remove), V(purge), V(report), V(none).
        - V(recover) when the container was found under its temporary name, left by a replacement
          whose last step (the rename) did not happen; it is renamed back first.
      type: str
      sample: replace
    changes:
      description: Why the action is needed (the differences found).
      type: list
      elements: str
      sample: [isolation, label trustbound.wincontainers.isolation]
    decision:
      description: The trust policy's decision (empty for V(absent) workloads).
      type: dict
      contains:
        isolation:
          description: C(process) or C(hyperv).
          type: str
        user:
          description: Account the container runs as.
          type: str
        reasons:
          description: One sentence per rule that applied.
          type: list
          elements: str
        rules:
          description: Rule ids, in order.
          type: list
          elements: str
    failed:
      description: Set on the workload whose step failed.
      type: bool
      returned: when a step of this workload failed
steps:
  description:
    - The planned docker steps in order, secret values shown as C(********), each with a
      C(status) of V(planned) (check mode), V(ok), V(failed) or V(not run).
  returned: when the workloads were valid
  type: list
  elements: dict
  sample:
    - action: create
      name: web
      image: mcr.microsoft.com/windows/nanoserver:ltsc2022
      isolation: process
      user: ContainerUser
      status: ok
rollback:
  description: The rollback steps run after a failed step, with their outcome.
  returned: when container_steps ran
  type: list
  elements: dict
pull_results:
  description:
    - The results of the pull run (as M(trustbound.wincontainers.container_steps) returns them)
      when pulling an image failed; no container was changed.
  returned: when a pull failed
  type: list
  elements: dict
noncompliant:
  description: Running containers that use an administrator account the host does not allow.
  returned: when the workloads were valid
  type: list
  elements: dict
  sample: [{name: legacy, user: ContainerAdministrator, managed: true, reason: "..."}]
pulled:
  description: Images pulled before any container change.
  returned: when the workloads were valid
  type: list
  elements: str
host_lock:
  description:
    - The host lock the apply held, the C(lock) result of
      M(trustbound.wincontainers.container_steps) - C(path), C(waited_seconds), C(taken_over) (the
      record a run that did not finish left), or C(holder) when the wait timed out.
  returned: when container changes were carried out
  type: dict
plan_attempts:
  description:
    - How many times the host was read and the plan made. More than 1 when another run held
      the host lock as the apply arrived - that run changed the host, so this one read it again
      and planned again rather than carry out a plan made before that change (at most 3).
  returned: when container changes were planned outside check mode
  type: int
  sample: 1
module_runs:
  description: How many module runs this task made on the host (1 when nothing had to change).
  returned: always
  type: int
  sample: 1
rule:
  description: The rule that refused the input.
  returned: when the input was refused
  type: str
  sample: trust-requires-hyperv
msg:
  description: What happened, or why the host failed (naming the host, the workload and the rule).
  returned: when failed or in check mode
  type: str
"""
