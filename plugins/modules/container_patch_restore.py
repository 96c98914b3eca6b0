#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_patch_restore.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_patch_restore
short_description: Restore a patched host's workloads, end the patch lease, report and count it
version_added: 0.2.0
description:
  - The last step of the C(trustbound.wincontainers.container_updates) role's patch, after
    M(ansible.windows.win_updates), and the role's rescue when the install fails (with
    O(failure)).
  - Unless O(host_info) is given, reads the host (M(trustbound.wincontainers.container_host_info))
    until the container engine runs, at most O(ready_retries) more times, O(ready_delay) seconds
    apart; after a restart WinRM answers before the engine does.
  - Brings back every workload of O(workloads), with the patch plan's resolutions applied (the
    C(hyperv) overrides of O(plan)), through the same reconcile as
    M(trustbound.wincontainers.container_workloads), re-decided for the host's new version. One
    workload that does not start again keeps no other down; each one not brought back is named
    with its reason (C(not_restored)) and the task fails, counting the host as C(failed) in the
    run summary (C(unreachable) when the host does not answer).
  - The patch lease O(lease_id) is ended however the restore ends.
  - Then reads the host once (M(trustbound.wincontainers.container_host_info)), returns the patch
    report (C(container_updates_report)) built from O(plan), O(drained), O(updates) and that read,
    and counts the host as C(patched) in the run summary (C(wincontainers_patch), as
    M(trustbound.wincontainers.container_updates_outcome) does).
  - With O(failure), the task fails after the restore, naming O(failed_task), the failure and
    whether every workload came back; without O(drained) nothing is restored (the patch failed
    before the drain).
  - "Module runs: the readiness reads (none when O(host_info) is given), those of the restore
    (one M(trustbound.wincontainers.container_steps) when a container changes), then one
    M(trustbound.wincontainers.container_host_info)."
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - trustbound.wincontainers.workload_options
options:
  plan:
    description: The patch plan (C(plan) of M(trustbound.wincontainers.container_patch_prepare))
      the host was patched by; its C(overrides) apply to the restore.
    type: dict
    default: {}
  drained:
    description: The drain (C(drained) of M(trustbound.wincontainers.container_patch_prepare))
      taken before the patch, for the report's before-states. Omitted with O(failure), nothing
      is restored.
    type: dict
  updates:
    description: The installing M(ansible.windows.win_updates) results, in order; skipped ones are
      ignored.
    type: list
    elements: dict
    default: []
  drained_at:
    description: When the drain started (seconds since the epoch), for the report's
      C(down_seconds).
    type: float
  ready_retries:
    description: How many more times the host is read until its container engine runs.
    type: int
    default: 30
  ready_delay:
    description: Seconds between two readiness reads.
    type: int
    default: 10
  failed_task:
    description: The name of the task that failed (the role's rescue passes it).
    type: str
  failure:
    description: The failure's message. Given, the task fails after the restore.
    type: str
  host_unreachable:
    description: The failure was a host that does not answer (counted as C(unreachable)).
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
      The restore is planned, not carried out; no report is built and the host is not counted.
  diff_mode:
    support: full
  platform:
    support: full
    platforms: windows
seealso:
  - module: trustbound.wincontainers.container_workloads
  - module: trustbound.wincontainers.container_updates_outcome
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Restore and verify every workload, re-decided for the new host version, and report
  trustbound.wincontainers.container_patch_restore:
    workloads: "{{ wincontainers_workloads }}"
    trust_boundary: "{{ wincontainers_trust_boundary }}"
    lease_id: "{{ patch_prepared.lease_id }}"
    plan: "{{ patch_prepared.plan }}"
    drained: "{{ patch_prepared.drained }}"
    updates: "{{ patch_prepared.updates + [installed_updates] }}"
    ready_retries: 30
    ready_delay: 10
  register: patch_restore
"""

RETURN = r"""
restore:
  description: The result of the restore, as M(trustbound.wincontainers.container_workloads)
    returns it (with C(not_reconciled) and C(lease_ended)); secret values masked.
  returned: always
  type: dict
not_restored:
  description: Each drained workload not brought back, with the reason (C(name), C(msg)).
  returned: always
  type: list
  elements: dict
host_unreachable:
  description: Whether the host did not answer.
  returned: when failed
  type: bool
container_updates_report:
  description: The patch report (host, versions before and after, updates installed and failed,
    each workload's state, isolation and image before and after, its time down).
  returned: success
  type: dict
outcome:
  description: The outcome counted in the run summary (C(patched), C(failed), C(unreachable)).
  returned: when the restore ran to its end or failed
  type: str
  sample: patched
module_runs:
  description: How many modules ran on the host.
  returned: always
  type: int
"""
