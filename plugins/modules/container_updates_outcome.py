#!/usr/bin/python
# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_updates_outcome.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_updates_outcome
short_description: Count a host in the patch or refresh run summary, and warn about a held host
version_added: 0.2.0
description:
  - Adds the host to the run-wide summary (C(set_stats), aggregated over the hosts) that the
    C(trustbound.wincontainers.container_updates) role publishes - C(wincontainers_patch) with
    C(held), C(patched), C(failed), C(unchanged) and C(unreachable) (a host that stopped
    answering during the patch), or C(wincontainers_refresh) with
    C(refreshed), C(failed) and C(unchanged). Each maps host names to the rules that decided and
    a short detail; a count is the mapping's length. The role adds a failed host from its rescue,
    so the summary is published even when every host failed.
  - A held host's reasons come back as warnings (C([WARNING]) in the job output).
  - Runs nothing on the host.
options:
  mode:
    description: The role's mode.
    type: str
    required: true
    choices: [patch, refresh]
  outcome:
    description:
      - V(held), V(patched), V(failed), V(unchanged) or V(unreachable) (patch); V(refreshed),
        V(failed) or V(unchanged) (refresh).
    type: str
    required: true
  reasons:
    description:
      - Why (a held host's hold reasons). Only the rule ids they name reach the summary; the
        reasons themselves are the warnings.
    type: list
    elements: str
    default: []
  detail:
    description: A short detail for the summary (a version, the failed task's name).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: It changes nothing in any mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: windows
seealso:
  - module: trustbound.wincontainers.container_host_info
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Count the host as held and warn
  trustbound.wincontainers.container_updates_outcome:
    mode: patch
    outcome: held
    reasons: "{{ container_updates_plan.hold_reasons }}"
"""

RETURN = r"""
outcome:
  description: The outcome counted.
  returned: success
  type: str
  sample: held
"""
