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
    M(ansible.windows.win_updates) and the engine's readiness check.
  - Brings back every workload of O(workloads), with the patch plan's resolutions applied (the
    C(hyperv) overrides of O(plan)), through the same reconcile as
    M(trustbound.wincontainers.container_workloads), re-decided for the host's new version. One
    workload that does not start again keeps no other down; each one not brought back is named
    with its reason and the task fails.
  - The patch lease O(lease_id) is ended however the restore ends.
  - Then reads the host once (M(trustbound.wincontainers.container_host_info)), returns the patch
    report (C(container_updates_report)) built from O(plan), O(drained), O(updates) and that read,
    and counts the host as C(patched) in the run summary (C(wincontainers_patch), as
    M(trustbound.wincontainers.container_updates_outcome) does).
  - "Module runs: those of the restore (one M(trustbound.wincontainers.container_steps) when a
    container changes, none to read the host when O(host_info) is given), then one
    M(trustbound.wincontainers.container_host_info)."
extends_documentation_fragment:
  - trustbound.wincontainers.workload_options
options:
  plan:
    description: The patch plan (the result of the C(trustbound.wincontainers.container_patch_plan)
      filter) the host was patched by.
    type: dict
    required: true
  drained:
    description: The drain (the result of the C(trustbound.wincontainers.container_patch_drain)
      filter) taken before the patch, for the report's before-states.
    type: dict
    default: {}
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
attributes:
  action:
    description:
      Indicates this has a corresponding action plugin so some parts of the options can be executed
      on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  bypass_host_loop:
    description:
      Forces a 'global' task that does not execute per host, this bypasses per host templating and
      serial, throttle and other loop considerations.
    support: none
  check_mode:
    description:
      Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The restore is planned, not carried out; no report is built and the host is not
      counted.
  diff_mode:
    description:
      Will return details on what has changed (or possibly needs changing in check_mode), when in
      diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
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
    host_info: "{{ engine_ready }}"
    lease_id: "{{ patch_lease }}"
    plan: "{{ patch_plan }}"
    drained: "{{ patch_drain }}"
    updates:
      - "{{ installed_updates }}"
  register: patch_restore
"""

RETURN = r"""
restore:
  description: The result of the restore, as M(trustbound.wincontainers.container_workloads)
    returns it (with C(not_reconciled) and C(lease_ended)); secret values masked.
  returned: always
  type: dict
container_updates_report:
  description: The patch report (host, versions before and after, updates installed and failed,
    each workload's state, isolation and image before and after, its time down).
  returned: success
  type: dict
outcome:
  description: The outcome counted in the run summary.
  returned: success
  type: str
  sample: patched
module_runs:
  description: How many modules ran on the host.
  returned: always
  type: int
"""
