# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_image_pulls
short_description: The pulls that refresh a host's workload images, and which tags moved
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Without O(results) - one M(trustbound.wincontainers.container_steps) C(pull) step per tag the
    workloads use (digest-pinned images are never refreshed), naming the registry to log in to
    when credentials for it are given.
  - With O(results) (the pulls' C(results)) and O(info) (the
    M(trustbound.wincontainers.container_host_info) read taken before them) - the tags whose image
    id changed, with the old and new ids and OS versions.
positional: name, registries, only, results, info
options:
  _input:
    description: The host's C(wincontainers_workloads).
    type: list
    elements: raw
    required: true
  name:
    description: The host's inventory name.
    type: str
    required: true
  registries:
    description: The registries credentials are given for.
    type: list
    elements: str
    default: []
  only:
    description: Only these workloads' tags.
    type: list
    elements: str
  results:
    description: The pulls' C(results); when given, the moved tags are returned.
    type: list
    elements: dict
  info:
    description: The host read before the pulls (with O(results)).
    type: dict
  owner:
    description:
      - With O(results) and O(info), also the managed containers of this owner that run another
        image than the one their tag names on the host already (what a refresh that failed
        after its pull left); O(results) may then be empty, as in check mode.
    type: str
"""

EXAMPLES = r"""
- name: The pulls
  ansible.builtin.set_fact:
    pulls: >-
      {{ wincontainers_workloads
         | trustbound.wincontainers.container_image_pulls(inventory_hostname) }}
"""

RETURN = r"""
_value:
  description:
    - The pull steps (a list of dicts C(action), C(image), C(workload), C(registry)); with
      O(results), the moved tags (C(image), C(workload), C(old_id), C(new_id), C(old_os_version),
      C(new_os_version)).
  type: list
  elements: dict
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_steps


def container_image_pulls(  # noqa: PLR0917 (Jinja filters take positional arguments)
    workloads, name, registries=None, only=None, results=None, info=None, *, owner=None
):
    steps = patch_steps.pull_steps(list(workloads or []), name, registries or [], only)
    if results is None:
        return steps
    moved = patch_steps.moved_tags(info or {}, steps, results)
    if owner is None:
        return moved
    # Containers already behind their tag on the host (a refresh that failed after its pull).
    seen = {entry["workload"] for entry in moved}
    stale = patch_steps.stale_containers(info or {}, list(workloads or []), name, owner)
    return moved + [entry for entry in stale if entry["workload"] not in seen]


class FilterModule:
    def filters(self):
        return {"container_image_pulls": container_image_pulls}
