# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: site_summary
short_description: Summarise a site run over every host, for set_stats and AWX workflows
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Reads each host's registered C(container_host_plan) and C(container_workloads_result)
    (set by the C(trustbound.wincontainers.container_host) and
    C(trustbound.wincontainers.container_workloads) roles) and returns one run-wide summary.
  - Copies host names, counts, rule ids and actions only, never a message, so no input value
    (a secret among them) reaches the job's artifacts.
  - A host with no deployment result stopped earlier (a failed task or an unreachable host) and
    is counted as failed.
positional: hosts
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts the run targeted, for example C(query('inventory_hostnames', 'windows')).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Publish the run-wide summary
  ansible.builtin.set_stats:
    data:
      wincontainers_site: >-
        {{ hostvars | trustbound.wincontainers.site_summary(
             query('inventory_hostnames', 'windows')) }}
"""

RETURN = r"""
_value:
  description: The summary.
  type: dict
  contains:
    schema_version:
      description: Version of this structure; it changes only when a key changes meaning.
      type: int
    hosts:
      description: Number of hosts targeted.
      type: int
    converged:
      description: Hosts whose workloads are as the inventory says.
      type: list
      elements: str
    changed:
      description: Converged hosts on which a container changed (or would, in check mode).
      type: list
      elements: str
    skipped:
      description: Hosts whose deployment was skipped (check mode on a host with no engine yet).
      type: list
      elements: str
    refused:
      description: Hosts refused before any change, each with the rule that refused it.
      type: dict
    failed:
      description: Hosts that failed otherwise, or never reached deployment.
      type: list
      elements: str
    workloads:
      description: Workloads of converged hosts by isolation (C(hyperv), C(process)); C(changed).
      type: dict
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import run_summary


def site_summary(hostvars, hosts):
    return run_summary.summarise(hostvars or {}, hosts or [])


class FilterModule:
    def filters(self):
        return {"site_summary": site_summary}
