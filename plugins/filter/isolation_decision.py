# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: isolation_decision
short_description: Choose a Windows container's isolation and user from trust, or refuse
version_added: 0.1.0
author: trustbound.wincontainers maintainers
description:
  - Applies the collection's trust policy to one workload on one Windows Server container host
    and returns the isolation (C(process) or C(hyperv)) and the user the container must run with,
    with the reason for each rule that applied.
  - Hyper-V isolation is required when the workload's O(_input.trust_level) is C(untrusted) or
    C(hostile), or when its O(_input.trust_boundary) differs from the host's.
  - An explicit C(process) request where Hyper-V is required is refused unless the host allows
    downgrades; C(hostile) workloads are never downgraded.
  - Applies Microsoft's image/host version compatibility matrix when the image's OS version
    is known.
  - Administrator accounts (C(ContainerAdministrator), C(Administrator), C(NT AUTHORITY\SYSTEM),
    C(LocalSystem), any case, any domain prefix) are refused unless the host allows them.
  - The host's boolean keys are read as Ansible reads booleans (C(yes)/C(no), C(true)/C(false),
    C(on)/C(off), C(1)/C(0), any case), as the roles and the actions read them, so text from an
    AWX survey or an INI inventory means the same everywhere; anything else is refused.
  - Administrator SIDs and groups (C(S-1-5-93-2-1), C(S-1-5-32-544), C(BUILTIN\Administrators),
    ...) and look-alike spellings count as administrators; user names Windows cannot hold as an
    account, or with invisible characters, are refused.
  - Refuses by failing the task with a message that names the host, the workload and the rule.
  - Pure controller-side computation; contacts no host. See docs/trust-model.md in the collection.
positional: host
options:
  _input:
    description:
      - The workload, an entry of C(wincontainers_workloads). Keys the policy does not own
        (ports, env, ...) are ignored.
    type: dict
    required: true
    suboptions:
      name:
        description: Container name; docker's rule C(^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$) applies.
        type: str
      image:
        description: Image reference, validated with docker's reference grammar.
        type: str
        required: true
      trust_boundary:
        description: Organisation or tenant the workload belongs to. Defaults to the host's.
        type: str
      trust_level:
        description: How far the workload's code is trusted.
        type: str
        choices: [trusted, untrusted, hostile]
        default: trusted
      isolation:
        description: Requested isolation; C(auto) lets the policy choose.
        type: str
        choices: [auto, process, hyperv]
        default: auto
      user:
        description: Account the container's processes run as.
        type: str
        default: ContainerUser
      image_os_version:
        description:
          - The image's C(OsVersion) as C(docker image inspect) reports it (C(10.0.BUILD.REVISION)).
          - When omitted the decision is made on trust alone and says so in its reasons.
        type: str
  host:
    description: The container host, with the policy's key names.
    type: dict
    required: true
    suboptions:
      name:
        description: Inventory host name, used in messages.
        type: str
      trust_boundary:
        description: Organisation or tenant that owns the host and its kernel.
        type: str
        required: true
      os_version:
        description: Host OS version C(10.0.BUILD.REVISION) (OSVersion plus UBR).
        type: str
        required: true
      hyperv_available:
        description: The Hyper-V role is installed and usable.
        type: bool
        default: false
      isolation_preference:
        description: Isolation to use when trust allows either.
        type: str
        choices: [process, hyperv]
        default: process
      allow_isolation_downgrade:
        description:
          - Allow an explicit C(process) request where trust requires Hyper-V.
          - Never applies to C(hostile) workloads.
        type: bool
        default: false
      allow_container_admin:
        description: Allow administrator accounts inside containers.
        type: bool
        default: false
seealso:
  - name: Windows container version compatibility
    description: Microsoft's image/host compatibility matrix.
    link: https://learn.microsoft.com/en-us/virtualization/windowscontainers/deploy-containers/version-compatibility
  - name: Secure Windows containers
    description: Microsoft on security boundaries, hostile multi-tenancy and ContainerUser.
    link: https://learn.microsoft.com/en-us/virtualization/windowscontainers/manage-containers/container-security
"""

EXAMPLES = r"""
- name: Decide isolation for a partner's workload on this host
  ansible.builtin.set_fact:
    web_decision: >-
      {{ {'name': 'web', 'image': 'mcr.microsoft.com/windows/nanoserver:ltsc2022',
          'trust_boundary': 'partner-a', 'image_os_version': '10.0.20348.2340'}
         | trustbound.wincontainers.isolation_decision({
             'name': inventory_hostname,
             'trust_boundary': wincontainers_trust_boundary,
             'os_version': '10.0.20348.2402',
             'hyperv_available': true}) }}
  # web_decision.isolation == 'hyperv': a different trust boundary must not share the kernel

- name: Show why
  ansible.builtin.debug:
    var: web_decision.reasons
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    isolation:
      description: C(process) or C(hyperv), for C(docker run --isolation).
      type: str
      sample: hyperv
    user:
      description: Account the container runs as.
      type: str
      sample: ContainerUser
    reasons:
      description: One sentence per rule that applied, each starting with the rule id in brackets.
      type: list
      elements: str
    rules:
      description: The ids of the rules that applied, in order.
      type: list
      elements: str
      sample: [trust-requires-hyperv, image-compatible, non-admin-user]
    hyperv_required:
      description: Trust demands a separate kernel (untrusted, hostile or another trust boundary).
      type: bool
    downgraded:
      description: Process isolation was allowed although trust requires Hyper-V.
      type: bool
    compatibility:
      description:
        - The version check's conclusion for the chosen isolation (C(same-build),
          C(same-build-newer-image-revision), C(feb-2020-baseline-unknown),
          C(ltsc2022-on-ltsc2025), C(older-known-build)), or C(unknown-image-version).
      type: str
      sample: same-build
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.trust_policy import (
    PolicyError,
    decide,
)


def isolation_decision(workload, host):
    """Apply the trust policy to one workload on one host."""
    try:
        return decide(workload, host).to_dict()
    except PolicyError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"isolation_decision": isolation_decision}
