# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_patch_plan
short_description: Plan a container host's patch on the controller, before anything changes
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Takes the result of M(trustbound.wincontainers.container_host_info) and the result of
    M(ansible.windows.win_updates) with O(ansible.windows.win_updates#module:state=searched),
    predicts the host's OS revision after the updates and runs the trust policy for every
    workload against that future version.
  - Windows Update does not say which revision an update brings (its title and KB only); the
    revision comes from O(known_revisions). An OS cumulative update not listed there makes the
    future revision unknown; on Windows Server 2016 an unknown revision counts as different from
    every image revision.
  - A workload whose decision would change or be refused is resolved by O(resolution) - V(hold)
    keeps the host unpatched, V(hyperv) moves the workload to Hyper-V isolation where the policy
    and the host allow it, V(refresh) uses the image its tag provides at the new revision.
  - With O(pulled) (the C(results) of the pre-stage M(trustbound.wincontainers.container_steps)
    pulls) it checks that each refreshed tag provides the revision the host will run, and holds
    the host otherwise.
  - A refusal comes back as C(error) (naming host, workload and rule); the role fails on it
    before any change.
positional: search, workloads, name, hostvars, resolution, known_revisions, pulled, more_may_follow
options:
  _input:
    description: The result of M(trustbound.wincontainers.container_host_info).
    type: dict
    required: true
  search:
    description: The result of M(ansible.windows.win_updates) with C(state=searched).
    type: dict
    required: true
  workloads:
    description: The host's C(wincontainers_workloads).
    type: list
    elements: raw
    required: true
  name:
    description: The host's inventory name (for messages).
    type: str
    required: true
  hostvars:
    description: The trust variables the policy reads (C(wincontainers_trust_boundary), ...).
    type: dict
    default: {}
  resolution:
    description: What to do with a workload the patch would break.
    type: str
    choices: [hold, hyperv, refresh]
    default: hold
  known_revisions:
    description: KB number to the OS revision it brings (C(2227) or C(20348.2227)), or C(none).
    type: dict
    default: {}
  pulled:
    description: The pre-stage pulls' C(results); when given, the refresh check runs.
    type: list
    elements: dict
  more_may_follow:
    description:
      - The search cannot show every update that will install (a Server 2016 cumulative update
        is offered only once its servicing stack update is in, which check mode does not
        install). The future revision is then unknown.
    type: bool
    default: false
  owner:
    description:
      - The owner the restore runs as (C(container_updates_owner)). Given, a plan whose restore
        would refuse a workload's container (another owner's, or one this collection does not
        manage) is refused before the drain.
    type: str
  adopt:
    description:
      - The workloads whose containers the restore may take over (C(container_updates_adopt)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Plan the patch
  ansible.builtin.set_fact:
    patch_plan: >-
      {{ host_read | trustbound.wincontainers.container_patch_plan(
           update_search, wincontainers_workloads, inventory_hostname,
           {'wincontainers_trust_boundary': wincontainers_trust_boundary}, 'hold') }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    patch:
      description: Whether the host is to be patched.
      type: bool
    held:
      description: Whether a workload holds the host unpatched (see C(hold_reasons)).
      type: bool
    hold_reasons:
      description: One line per workload that holds the host, with host, workload and rule.
      type: list
      elements: str
    version_before:
      description: The OS version now.
      type: str
    version_after:
      description: The predicted OS version after the updates; null when unknown.
      type: str
    updates:
      description: The selected updates (id, kb, title, categories, revision, raises_revision,
        servicing_stack), servicing stack updates first.
      type: list
      elements: dict
    servicing_stack_first:
      description: True on Windows Server 2016 when a servicing stack update is selected.
      type: bool
    workloads:
      description: Per workload - name, image, current and future decision, status
        (unchanged or affected), resolution, reason.
      type: list
      elements: dict
    overrides:
      description: Workload name to the fields the restore changes (the hyperv resolution).
      type: dict
    refresh:
      description: The workloads the refresh resolution gives a new image, with the version
        required.
      type: list
      elements: dict
    unmanaged:
      description: Containers not managed by the collection (left alone).
      type: list
      elements: dict
    error:
      description: The refusal, or null.
      type: str
    rule:
      description: The refusal's rule, or null.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    patch_plan,
    trust_policy,
    workload_spec,
)


def container_patch_plan(  # noqa: PLR0917 (Jinja filters take positional arguments)
    info,
    search,
    workloads,
    name,
    hostvars=None,
    resolution="hold",
    known_revisions=None,
    pulled=None,
    more_may_follow=False,
    owner=None,
    adopt=None,
):
    if not isinstance(info, dict) or not isinstance(search, dict):
        raise AnsibleFilterError(
            "container_patch_plan expects container_host_info's result as input and"
            " win_updates' (state=searched) result as its first argument"
        )
    try:
        result = patch_plan.plan_patch(
            info,
            search,
            list(workloads or []),
            host=name,
            hostvars=hostvars or {},
            resolution=resolution,
            known_revisions=known_revisions or {},
            more_may_follow=bool(more_may_follow),
            owner=owner,
            adopt=list(adopt or []),
        )
    except (
        patch_plan.PatchRefusal,
        trust_policy.PolicyError,
        workload_spec.WorkloadSpecError,
    ) as exc:
        message = str(exc)
        if not message.endswith("Nothing was changed."):
            message += ". Nothing was changed."
        return {"error": message, "rule": exc.rule, "patch": False, "held": False}
    if pulled is not None:
        result = patch_plan.check_refresh(result, pulled)
    result.update(error=None, rule=None)
    return result


class FilterModule:
    def filters(self):
        return {"container_patch_plan": container_patch_plan}
