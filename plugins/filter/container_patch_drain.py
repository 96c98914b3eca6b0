# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_patch_drain
short_description: What runs on a container host, and the steps that stop its managed workloads
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Records every container (name, image, image id, isolation, user, state) from the result of
    M(trustbound.wincontainers.container_host_info), and returns the
    M(trustbound.wincontainers.container_steps) C(stop) steps for the running managed containers
    of the declared workloads, each with its workload's C(stop_timeout).
  - Containers the collection does not manage are recorded, counted and left alone.
  - Also returns the names of the workloads to restore after the patch. With O(restore=true) it
    returns instead the workloads to pass to M(trustbound.wincontainers.container_workloads),
    with the patch plan's overrides (the C(hyperv) resolution) applied; they may hold
    C(secret_env) values, so pass them straight to the task, never through C(set_fact).
positional: workloads, name, plan
options:
  _input:
    description: The result of M(trustbound.wincontainers.container_host_info).
    type: dict
    required: true
  workloads:
    description: The host's C(wincontainers_workloads).
    type: list
    elements: raw
    required: true
  name:
    description: The host's inventory name.
    type: str
    required: true
  plan:
    description: The result of the C(trustbound.wincontainers.container_patch_plan) filter.
    type: dict
    default: {}
  owner:
    description:
      - The owner the restore runs as. Another owner's containers are left alone, as unmanaged
        ones are.
    type: str
  adopt:
    description: Workloads whose containers of another owner the restore takes over; stopped too.
    type: list
    elements: str
  restore:
    description: Return the workloads to restore (a list) instead of the drain.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Record what runs and plan the drain
  ansible.builtin.set_fact:
    patch_drain: >-
      {{ host_read | trustbound.wincontainers.container_patch_drain(
           wincontainers_workloads, inventory_hostname, patch_plan) }}
"""

RETURN = r"""
_value:
  description: The drain.
  type: dict
  contains:
    managed:
      description: The managed containers of declared workloads (name, image, image_id,
        isolation, user, state, workload).
      type: list
      elements: dict
    unmanaged:
      description: Every other container, left alone.
      type: list
      elements: dict
    unmanaged_count:
      description: How many.
      type: int
    unmanaged_running:
      description: Names of the unmanaged containers that run now.
      type: list
      elements: str
    steps:
      description: The C(stop) steps for container_steps.
      type: list
      elements: dict
    restore_names:
      description: The names of the workloads the restore brings back.
      type: list
      elements: str
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_steps


def container_patch_drain(
    info, workloads, name, plan=None, *, owner=None, adopt=None, restore=False
):
    restored = patch_steps.restore_workloads(list(workloads or []), plan or {})
    if restore:
        return restored
    drained = patch_steps.drain(info or {}, list(workloads or []), name, owner, adopt or ())
    drained["restore_names"] = [w.get("name") for w in restored if isinstance(w, dict)]
    return drained


class FilterModule:
    def filters(self):
        return {"container_patch_drain": container_patch_drain}
