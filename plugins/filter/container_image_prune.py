# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_image_prune
short_description: The old images a base image refresh left behind that nothing uses any more
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Takes the moved tags of a refresh (the C(trustbound.wincontainers.container_image_pulls)
    filter with results) and a M(trustbound.wincontainers.container_host_info) read taken after
    the containers were replaced, and returns one M(trustbound.wincontainers.container_steps)
    C(remove_image) step per old image that no container uses and no tag names.
positional: info
options:
  _input:
    description: The moved tags.
    type: list
    elements: dict
    required: true
  info:
    description: The host read after the replacement.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Plan the prune
  ansible.builtin.set_fact:
    prune: "{{ moved | trustbound.wincontainers.container_image_prune(read_after) }}"
"""

RETURN = r"""
_value:
  description: The C(remove_image) steps (C(action), C(image), C(workload)).
  type: list
  elements: dict
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_steps


def container_image_prune(moved, info):
    return patch_steps.prune_steps(list(moved or []), info or {})


class FilterModule:
    def filters(self):
        return {"container_image_prune": container_image_prune}
