# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_pinned_images
short_description: The workloads whose image is pinned by digest, which a refresh never moves
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - The workloads (not C(absent)) whose image is pinned by digest (C(name@sha256:...)), with the
    image. Microsoft's monthly base image releases move tags, not digests, so such a workload stays
    on its image until the inventory names another digest; the image refresh reports them.
  - The workloads are validated as the deployment validates them; a refusal names the host.
positional: name
options:
  _input:
    description: The host's C(wincontainers_workloads) (a list, or its JSON text).
    type: raw
    required: true
  name:
    description: The host's inventory name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The workloads a refresh does not move
  ansible.builtin.debug:
    msg: >-
      {{ wincontainers_workloads
         | trustbound.wincontainers.container_pinned_images(inventory_hostname) }}
"""

RETURN = r"""
_value:
  description: One dict per pinned workload, C(workload) and C(image), in the inventory's order.
  type: list
  elements: dict
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import image_sources


def container_pinned_images(workloads, name):
    return image_sources.pinned_workloads(workloads, name)


class FilterModule:
    def filters(self):
        return {"container_pinned_images": container_pinned_images}
