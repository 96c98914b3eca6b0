#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_patch_prepare.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_patch_prepare
short_description: Pre-stage a patch's refreshed images, then drain the host under the patch lease
version_added: 0.2.0
description:
  - The step of the C(trustbound.wincontainers.container_updates) role's patch between an
    accepted plan and M(ansible.windows.win_updates).
  - When O(plan) refreshes workloads (resolution C(refresh)), pulls their tags while the old
    containers still run (one M(trustbound.wincontainers.container_steps) run) and checks that
    each provides the revision the host will run; a tag that does not holds the host, which is
    then counted as C(held) (a C([WARNING]) and the run summary C(wincontainers_patch)) and not
    drained.
  - Records what runs (name, image, image id, isolation, user, state) and stops the running
    managed containers of the declared workloads of O(owner), each with its workload's
    C(stop_timeout), in one M(trustbound.wincontainers.container_steps) run that leaves the
    lease O(lease_id) on the host lock for O(lease_seconds);
    M(trustbound.wincontainers.container_patch_restore) ends it. The run takes the lease even
    when nothing runs. Containers started by hand and
    other owners' containers are recorded and left alone.
  - A plan with an C(error) fails the task before any module runs.
options:
  host_info:
    description: The M(trustbound.wincontainers.container_host_info) result the plan was made from.
    type: dict
    required: true
  plan:
    description: The patch plan (the result of the C(trustbound.wincontainers.container_patch_plan)
      filter). Nothing is drained unless its C(patch) is true.
    type: dict
    required: true
  workloads:
    description: The host's C(wincontainers_workloads).
    type: raw
    default: []
  owner:
    description: The owner the restore runs as; another owner's containers are not stopped.
    type: str
  adopt:
    description:
      - Workloads whose containers of another owner the restore takes over
        (C(container_workloads_adopt)); those are stopped cleanly too.
    type: list
    elements: str
    default: []
  lease_id:
    description: This patch's lease id.
    type: str
    required: true
  lease_seconds:
    description: How long the lease holds the host at most.
    type: int
    required: true
  lock_timeout:
    description: Seconds to wait for the host lock.
    type: int
    default: 300
  registry_credentials:
    description: Credentials for the pre-stage pulls from private registries. Passwords are never
      logged.
    type: list
    elements: dict
    default: []
    suboptions:
      registry:
        description: Registry host, as in the image reference.
        type: str
        required: true
      username:
        description: User name.
        type: str
        required: true
      password:
        description: Password or token.
        type: str
        required: true
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
    details: Nothing is pulled or stopped; the plan is returned as given.
  diff_mode:
    description:
      Will return details on what has changed (or possibly needs changing in check_mode), when in
      diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: windows
seealso:
  - module: trustbound.wincontainers.container_patch_restore
  - module: trustbound.wincontainers.container_steps
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Pre-stage and drain, taking the patch lease
  trustbound.wincontainers.container_patch_prepare:
    host_info: "{{ host_read }}"
    plan: "{{ patch_plan }}"
    workloads: "{{ wincontainers_workloads }}"
    owner: "{{ container_workloads_owner }}"
    lease_id: "{{ patch_lease }}"
    lease_seconds: 14400
  register: patch_prepared
"""

RETURN = r"""
plan:
  description: The plan, checked against the pre-staged images (C(patch) false when they hold
    the host).
  returned: always
  type: dict
drained:
  description: What ran before the drain (C(managed), C(unmanaged), C(unmanaged_count),
    C(unmanaged_running)), the C(steps) that stopped it and the C(restore_names).
  returned: when the host was drained
  type: dict
drained_at:
  description: When the drain started (seconds since the epoch).
  returned: when the host was drained
  type: float
container_updates_report:
  description: The report of a host the pre-stage held.
  returned: when the pre-stage held the host
  type: dict
module_runs:
  description: How many modules ran on the host.
  returned: always
  type: int
"""
