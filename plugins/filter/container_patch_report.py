# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_patch_report
short_description: One container host's patch report
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Builds the per-host report of a patch run from the patch plan, the drain record, the
    M(ansible.windows.win_updates) result, the M(trustbound.wincontainers.container_host_info)
    read after the restore and the M(trustbound.wincontainers.container_workloads) result.
  - Updates installed (KB, title) and failed, OS version before and after, whether the host
    rebooted, each workload's state and isolation before and after, its downtime, and the
    decisions that changed.
positional: drained, updates, after, restore, down_seconds
options:
  _input:
    description: The result of the C(trustbound.wincontainers.container_patch_plan) filter.
    type: dict
    required: true
  drained:
    description: The result of the C(trustbound.wincontainers.container_patch_drain) filter.
    type: dict
  updates:
    description:
      - The result of the installing M(ansible.windows.win_updates) task, or a list of them
        (skipped ones are ignored).
    type: raw
  after:
    description: The M(trustbound.wincontainers.container_host_info) result after the restore.
    type: dict
  restore:
    description: The M(trustbound.wincontainers.container_workloads) result of the restore.
    type: dict
  down_seconds:
    description: Seconds from the drain to the verified restore.
    type: float
"""

EXAMPLES = r"""
- name: Report
  ansible.builtin.debug:
    msg: "{{ patch_plan | trustbound.wincontainers.container_patch_report(patch_drain) }}"
"""

RETURN = r"""
_value:
  description: The report (host, patched, held, hold_reasons, version_before, version_after,
    version_predicted, updates_planned, updates_installed, updates_failed, rebooted, workloads,
    decisions_changed, unmanaged).
  type: dict
"""

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_steps


def container_patch_report(  # noqa: PLR0917 (Jinja filters take positional arguments)
    plan, drained=None, updates=None, after=None, restore=None, down_seconds=None
):
    return patch_steps.report(
        plan or {},
        drained=drained,
        updates_result=updates,
        after_info=after,
        restore_result=restore,
        down_seconds=None if down_seconds is None else round(float(down_seconds), 1),
    )


class FilterModule:
    def filters(self):
        return {"container_patch_report": container_patch_report}
