#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/validate_role_arguments.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: validate_role_arguments
short_description: Check the variables of several of this collection's roles before any of them runs
version_added: 0.1.0
description:
  - Validates the host's variables against the C(main) entry point of each role of O(roles), read
    from the role's C(meta/argument_specs.yml) - the check ansible-core runs at the start of each
    role (M(ansible.builtin.validate_argument_spec)), done for all of them at once.
  - A playbook that runs several roles on a host calls it first and imports the roles with
    C(rolespec_validate=false), so a bad input of a later role stops the host before an earlier
    role changes anything, and the host costs one validation task instead of one per role. The
    site playbook does this for C(container_host) and C(container_workloads).
  - Runs on the controller only; it never contacts the host.
options:
  roles:
    description: Roles of this collection whose arguments to check, by short name.
    type: list
    elements: str
    required: true
    choices: [container_host, container_workloads, container_updates]
attributes:
  action:
    description:
      Indicates this has a corresponding action plugin so some parts of the options can be executed
      on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  bypass_host_loop:
    description:
      Forces a 'global' task that does not execute per host, this bypasses per host templating and
      serial, throttle and other loop considerations.
    support: none
  check_mode:
    description:
      Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description:
      Will return details on what has changed (or possibly needs changing in check_mode), when in
      diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: all
notes:
  - A variable given only in the C(vars) of an C(import_role) is not visible yet when this task
    runs; the role's own action validates it (the site playbook hands
    C(container_workloads_host_info) to the deployment that way).
seealso:
  - module: ansible.builtin.validate_argument_spec
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Provision and deploy, every input checked first
  hosts: windows
  gather_facts: false
  tasks:
    - name: Check the inputs of both roles before either changes anything
      trustbound.wincontainers.validate_role_arguments:
        roles: [container_host, container_workloads]

    - name: Provision
      ansible.builtin.import_role:
        name: trustbound.wincontainers.container_host
        rolespec_validate: false

    - name: Deploy
      ansible.builtin.import_role:
        name: trustbound.wincontainers.container_workloads
        rolespec_validate: false
"""

RETURN = r"""
roles:
  description: The roles whose arguments were checked.
  returned: success
  type: list
  elements: str
  sample: [container_host, container_workloads]
rule:
  description: V(role-arguments) when a variable is refused.
  returned: failure
  type: str
argument_errors:
  description: One message per refused variable, each starting with C(role <name>:).
  returned: failure
  type: list
  elements: str
"""
