# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_host_reboot
short_description: Decide whether a container host must restart after its feature installs
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - A restart is required when an M(ansible.windows.win_feature) result of this run says
    C(reboot_required), or when a feature the host needs is still C(InstallPending) in the
    M(trustbound.wincontainers.container_host_info) result taken before the installs (an
    earlier run installed it and the restart never happened).
  - A restart pending for other reasons (Windows Update, file renames) alone does not restart
    the host.
positional: info, features
options:
  _input:
    description: The registered M(ansible.windows.win_feature) results (a loop's C(results) list).
    type: list
    elements: dict
    required: true
  info:
    description:
      - The M(trustbound.wincontainers.container_host_info) result taken before the installs.
    type: dict
    required: true
  features:
    description: The features the host needs.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Decide the restart
  ansible.builtin.set_fact:
    reboot: >-
      {{ [feature_result] | trustbound.wincontainers.container_host_reboot(
           host_info, ['Containers']) }}
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    required:
      description: Whether the host must restart.
      type: bool
    reasons:
      description: Why.
      type: list
      elements: str
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import provision_plan


def container_host_reboot(feature_results, info, features):
    return provision_plan.reboot(feature_results or [], info or {}, features or [])


class FilterModule:
    def filters(self):
        return {"container_host_reboot": container_host_reboot}
