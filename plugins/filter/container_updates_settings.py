# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_updates_settings
short_description: Check the container_updates settings before anything changes
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Checks every C(container_updates_*) setting the role is given (timeouts, retries, lease ids,
    the resolution, known revisions, lists, the owner, registry credentials) and returns either
    the refusal, naming the host and the variable, or C(error=none).
  - Values are read as an AWX survey sends them (digit strings are numbers, JSON text is a
    list). No value is quoted in a refusal and none is returned.
positional: name
options:
  _input:
    description: Variable name to value.
    type: dict
    required: true
  name:
    description: The host's inventory name (for messages).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Check the settings
  ansible.builtin.set_fact:
    updates_settings: >-
      {{ {'container_updates_start_timeout': container_updates_start_timeout}
         | trustbound.wincontainers.container_updates_settings(inventory_hostname) }}
"""

RETURN = r"""
_value:
  description: The outcome.
  type: dict
  contains:
    error:
      description: The refusal (host, rule, variable), or none.
      type: str
    rule:
      description: The rule of the refusal, or none.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_inputs
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal


def container_updates_settings(settings, name):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("container_updates_settings expects a mapping of variables")
    try:
        patch_inputs.check(settings, name)
    except Refusal as exc:
        return {"error": str(exc), "rule": exc.rule}
    return {"error": None, "rule": None}


class FilterModule:
    def filters(self):
        return {"container_updates_settings": container_updates_settings}
