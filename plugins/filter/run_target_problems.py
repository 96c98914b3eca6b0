# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: run_target_problems
short_description: Why a run of this collection's playbooks cannot go on, before it starts
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Returns the refusals of a run, most fundamental first, each with its fix; an empty list
    when the run may go on. Every playbook of the collection checks them in its first play
    (C(playbooks/preflight.yml)), on the controller.
  - Refuses an ansible-core older than 2.19 (C(requires ansible-core >= 2.19)).
  - Refuses a target that matches no host (within the run's C(--limit)), naming the target
    and the inventory's groups.
  - Refuses targeted hosts that are not reached as Windows hosts (connection C(winrm) or
    C(psrp), or C(ssh) with C(ansible_shell_type) C(powershell) or C(cmd)), naming each.
  - Reads inventory variables only; no host is contacted.
positional: target, matched, groups, core_version
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  target:
    description: The run's host pattern (C(wincontainers_target)), for the message.
    type: str
    required: true
  matched:
    description: The hosts the target matches, C(query('inventory_hostnames', target)).
    type: list
    elements: str
    required: true
  groups:
    description: The inventory's groups (the C(groups) variable), named when nothing matches.
    type: raw
    required: true
  core_version:
    description: The controller's ansible-core version, C(ansible_version.full).
    type: str
    required: true
  limit:
    description: The run's C(--limit) (C(ansible_limit)), for the message.
    type: str
  limited:
    description:
      - The hosts the run's C(--limit) leaves (C(ansible_play_hosts_all)); omit without a limit.
    type: list
    elements: str
  allow_no_hosts:
    description:
      - Let a run whose target matches no host go on (as a green "no hosts matched"), for a
        slice of a sliced AWX job that holds none of the target
        (C(wincontainers_allow_no_hosts)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse a run that cannot work, before any host is contacted
  ansible.builtin.fail:
    msg: "{{ problems | join(' ') }}"
  when: problems | length > 0
  vars:
    problems: >-
      {{ hostvars | trustbound.wincontainers.run_target_problems(
           wincontainers_target | default('windows'),
           query('inventory_hostnames', wincontainers_target | default('windows')),
           groups, ansible_version.full) }}
"""

RETURN = r"""
_value:
  description: The refusals, each a sentence naming what is wrong and how to fix it.
  type: list
  elements: str
"""

from ansible import context

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import run_target


def run_target_problems(
    hostvars,
    target,
    matched,
    groups,
    core_version,
    *,
    limit=None,
    limited=None,
    allow_no_hosts=False,
):
    return run_target.problems(
        hostvars or {},
        str(target),
        matched or [],
        groups or [],
        str(core_version),
        limit=limit or None,
        limited=limited,
        allow_no_hosts=bool(allow_no_hosts),
        default_connection=context.CLIARGS.get("connection"),
    )


class FilterModule:
    def filters(self):
        return {"run_target_problems": run_target_problems}
