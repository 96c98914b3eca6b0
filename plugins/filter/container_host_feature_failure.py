# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_host_feature_failure
short_description: Explain a failed Windows feature install on a container host
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Turns the failed M(ansible.windows.win_feature) result into a message naming the host.
  - When Windows' own prerequisite check refused Hyper-V (C(A prerequisite check for the Hyper-V
    feature failed), the check ServerManager runs before it installs anything), the message says
    why Hyper-V is needed, quotes Windows and gives the fix - nested virtualization on the parent
    host for a virtual machine, the firmware settings for a physical one.
positional: info, name, plan
options:
  _input:
    description: The failed M(ansible.windows.win_feature) result (C(ansible_failed_result)).
    type: dict
    required: true
  info:
    description: The M(trustbound.wincontainers.container_host_info) result.
    type: dict
    required: true
  name:
    description: The host's inventory name.
    type: str
    required: true
  plan:
    description: The C(trustbound.wincontainers.container_host_plan) result.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Install the features, explaining a refused Hyper-V install
  block:
    - name: Install
      ansible.windows.win_feature:
        name: "{{ plan.features }}"
  rescue:
    - name: Explain
      ansible.builtin.fail:
        msg: >-
          {{ ansible_failed_result | trustbound.wincontainers.container_host_feature_failure(
               host_info, inventory_hostname, plan) }}
"""

RETURN = r"""
_value:
  description: The message.
  type: str
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import provision_plan


def container_host_feature_failure(result, info, name, plan):
    return provision_plan.feature_failure(result or {}, info or {}, str(name), plan or {})


class FilterModule:
    def filters(self):
        return {"container_host_feature_failure": container_host_feature_failure}
