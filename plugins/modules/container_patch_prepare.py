#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_patch_prepare.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_patch_prepare
short_description: Read, plan, pre-stage and drain a container host's patch under the patch lease
version_added: 0.2.0
description:
  - The first step of the C(trustbound.wincontainers.container_updates) role's patch, before
    M(ansible.windows.win_updates) installs.
  - Reads the host once (M(trustbound.wincontainers.container_host_info), unless O(host_info) is
    given). A lease of another patch that still holds the host fails the task, naming the lease
    and C(container_updates_resume_lease), with nothing changed.
  - With O(resume_lease) equal to the lease on the host (a patch that did not finish), brings
    every declared workload back through the reconcile of
    M(trustbound.wincontainers.container_workloads), ends that lease and reads the host again.
  - Searches Windows Update (M(ansible.windows.win_updates) with C(state=searched), its own
    action plugin, with O(categories), O(accept_list), O(reject_list), O(skip_optional),
    O(server_selection)) and plans the patch against the host's future OS revision (as the
    C(trustbound.wincontainers.container_patch_plan) filter does, with O(resolution) and
    O(known_revisions)). A refused plan fails the task with nothing changed.
  - On Windows Server 2016, a servicing stack update found by the search is installed first,
    without a restart, while the workloads run; then the search and the plan are made again.
  - A host with nothing to install, a held host and check mode end here, reported
    (C(container_updates_report)) and counted in the run summary C(wincontainers_patch)
    (C(unchanged), or C(held) with a C([WARNING])).
  - When the plan refreshes workloads (resolution C(refresh)), pulls their tags while the old
    containers still run (one M(trustbound.wincontainers.container_steps) run) and checks that
    each provides the revision the host will run; a tag that does not holds the host, nothing
    stopped.
  - Records what runs (name, image, image id, isolation, user, state) and stops the running
    managed containers of the declared workloads of O(owner), each with its workload's
    C(stop_timeout), in one M(trustbound.wincontainers.container_steps) run that leaves this
    run's lease on the host lock for O(lease_seconds);
    M(trustbound.wincontainers.container_patch_restore) ends it. The run takes the lease even
    when nothing runs. Containers started by hand and other owners' containers are recorded
    and left alone.
  - A host that does not answer fails the task with C(host_unreachable) (the role counts it as
    C(unreachable)) instead of ending the host without its rescue.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - trustbound.wincontainers.workload_options
options:
  lease_seconds:
    description: How long the lease holds the host at most.
    type: int
    required: true
  resume_lease:
    description: The lease id of a patch that did not finish, to resume it first.
    type: str
    default: ""
  resolution:
    description: What to do with a workload the patch would break.
    type: str
    default: hold
  known_revisions:
    description: KB number to the OS revision it brings (C(2227) or C(20348.2227)), or C(none).
    type: raw
    default: {}
  categories:
    description: Update categories; null is win_updates' defaults, plus C(Updates) on Windows
      Server 2016.
    type: list
    elements: str
  accept_list:
    description: Passed to M(ansible.windows.win_updates).
    type: list
    elements: str
    default: []
  reject_list:
    description: Passed to M(ansible.windows.win_updates).
    type: list
    elements: str
    default: []
  skip_optional:
    description: Passed to M(ansible.windows.win_updates).
    type: bool
    default: false
  server_selection:
    description: Passed to M(ansible.windows.win_updates).
    type: str
    default: default
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
      The host is read and searched and the plan made and reported; nothing is installed, pulled
      or stopped.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: windows
seealso:
  - module: trustbound.wincontainers.container_patch_restore
  - module: trustbound.wincontainers.container_steps
  - module: ansible.windows.win_updates
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Read, plan, pre-stage and drain, taking the patch lease
  trustbound.wincontainers.container_patch_prepare:
    workloads: "{{ wincontainers_workloads }}"
    trust_boundary: "{{ wincontainers_trust_boundary }}"
    owner: "{{ container_workloads_owner }}"
    lease_seconds: 14400
    known_revisions:
      KB5034129: 2227
  register: patch_prepared
"""

RETURN = r"""
plan:
  description: The patch plan (as the C(trustbound.wincontainers.container_patch_plan) filter
    returns it), checked against the pre-staged images (C(patch) false when they hold the
    host).
  returned: always
  type: dict
lease_id:
  description: This run's lease id (O(lease_id), else one made from the AWX job id or at random).
  returned: always
  type: str
category_names:
  description: The update categories searched, for the install.
  returned: when the host was read
  type: list
  elements: str
updates:
  description: The installs made here (the Windows Server 2016 servicing stack update).
  returned: always
  type: list
  elements: dict
resumed:
  description: The resume's reconcile result.
  returned: when a patch was resumed
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
  description: The report of a host not patched (nothing to install, held, check mode).
  returned: when the host is not drained
  type: dict
host_unreachable:
  description: Whether the host did not answer.
  returned: when failed
  type: bool
module_runs:
  description: How many modules ran on the host, besides win_updates' own.
  returned: always
  type: int
"""
