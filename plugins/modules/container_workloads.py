#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/container_workloads.py,
# as ansible.windows does for win_reboot.

DOCUMENTATION = r"""
---
module: container_workloads
short_description: Run a Windows host's containers with isolation and user chosen from trust
version_added: 0.1.0
description:
  - Makes the containers of one Windows Server container host match its inventory. Every
    container gets an explicit isolation (C(process) or C(hyperv)) and user decided by the
    collection's trust policy from the workload's and the host's trust variables, the same
    policy as the P(trustbound.wincontainers.isolation_decision#filter) filter.
  - "Module runs per host: one M(trustbound.wincontainers.container_host_info) to read the host;
    one M(trustbound.wincontainers.container_steps) to pull images the decision needs and that the
    host lacks (never in check mode); one M(trustbound.wincontainers.container_steps) with every
    container change. When nothing has to change the task makes one module run, whatever the
    number of workloads."
  - Every entry of O(workloads) is validated, and the policy decides for every workload, before
    anything on the host changes. A refusal fails the host with a message naming the host, the
    workload and the rule.
  - A workload whose image, isolation, user, labels or configuration differ from the running
    container is replaced without losing it. The new container is created under a temporary name
    (C(<name>-tbwc-new)), started and checked before the old one is removed and the new one
    renamed. When the workload publishes fixed host ports, the old container is stopped before
    the new one starts (a host port can be bound only once) and started again if the new one
    fails.
  - A running container that uses an administrator account (C(ContainerAdministrator),
    C(NT AUTHORITY\SYSTEM), ...) while the host does not allow admin containers is replaced
    (O(enforcement=enforce)) or reported and the host failed (O(enforcement=report)).
  - Containers this action creates carry labels C(trustbound.wincontainers.*) (managed, owner,
    workload, trust boundary, trust level, isolation, config hash); O(purge=true) removes
    managed containers of the same O(owner) that the inventory no longer lists, never others.
options:
  workloads:
    description:
      - The host's workloads, normally C(wincontainers_workloads). Unknown keys are refused.
      - A list, or its JSON text (what AWX surveys and extra vars send); anything else is refused
        without quoting it.
      - See C(docs/container_workloads.md) in the collection for every key and example.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Container name (docker's rule C([a-zA-Z0-9][a-zA-Z0-9_.-]+)), unique.
        type: str
        required: true
      image:
        description: Image reference, by tag or digest.
        type: str
        required: true
      state:
        description: V(started) runs it, V(stopped) keeps it stopped, V(absent) removes it.
        type: str
        choices: [started, stopped, absent]
        default: started
      trust_boundary:
        description: Organisation or tenant the workload belongs to; the host's when omitted.
        type: str
      trust_level:
        description: How far the workload's code is trusted.
        type: str
        choices: [trusted, untrusted, hostile]
        default: trusted
      isolation:
        description: Requested isolation; V(auto) lets the policy choose.
        type: str
        choices: [auto, process, hyperv]
        default: auto
      user:
        description: Account to run as; administrator accounts need O(allow_container_admin).
        type: str
        default: ContainerUser
      command:
        description:
          - A list is the command's words (exec form); a string runs through C(cmd /S /C), as a
            Dockerfile's shell form does on Windows.
        type: raw
      entrypoint:
        description: Entry point, a string or a list (its first word is the executable).
        type: raw
      env:
        description:
          - Environment variables (plain; they are visible in C(docker inspect)).
          - Names that differ only in case are refused (Windows environment names ignore case), as
            are values holding NUL or longer than 32767 characters.
        type: dict
      secret_env:
        description:
          - Environment variables whose values are kept out of logs, results and diffs. They reach
            the host only in a C(no_log) option and never appear on the docker command line.
          - They pass through the docker CLI's own environment, so names that change how the CLI
            runs are refused (C(DOCKER_*), C(BUILDKIT_*), C(GO*), proxies, C(PATH),
            C(SystemRoot), C(TEMP), ...; see docs/security.md).
        type: dict
      ports:
        description:
          - Published ports, C([ip:]host:container[/tcp|udp]), C(container), or mappings with
            C(host), C(container), C(protocol), C(host_ip).
          - The address may only be C(0.0.0.0) or C([::]) (every host address); Windows NAT refuses
            any other, so it is refused before any change (rule C(host-ip-unsupported)).
        type: list
        elements: raw
      volumes:
        description:
          - Volumes and bind mounts, C(source:target[:ro|rw]) with Windows paths, or mappings with
            C(source), C(target), C(read_only). Mapping the engine's named pipe is refused, however
            it is spelt.
          - For a workload that trust sends to Hyper-V (untrusted, hostile, another trust
            boundary), host system paths (a drive root, the Windows directory, Program Files,
            C(ProgramData\docker), the engine's data root, folders holding them, administrative
            shares) and named pipes (unless O(workloads[].allow_named_pipe_mounts)) are refused.
        type: list
        elements: raw
        aliases: [mounts]
      allow_named_pipe_mounts:
        description:
          - Let a workload that trust sends to Hyper-V mount named pipes other than the engine's.
        type: bool
        default: false
      networks:
        description:
          - Networks, the first given at create. V(host) is refused; C(container:<x>) is refused
            under Hyper-V isolation.
        type: list
        elements: str
      restart_policy:
        description: C(no), C(always), C(unless-stopped) or C(on-failure[:N]) with N >= 0.
        type: str
        default: "no"
      memory:
        description:
          - Memory limit, in bytes or as C(512m), C(2g); at least 50 MB (rule
            C(memory-below-floor)), as lower limits hang Windows containers.
        type: raw
      cpus:
        description: CPU limit (under Hyper-V isolation, the utility VM's vCPU count).
        type: float
      labels:
        description:
          - Labels; names starting with C(trustbound.wincontainers.) are reserved, names holding
            C(=) are refused.
        type: dict
      stop_timeout:
        description:
          - Seconds C(docker stop) waits before it kills the container, 0 to 3600.
          - An upper bound, not a promise of a clean shutdown; inside the container cexecsvc ends
            processes after its own ProcessShutdownTimeoutSeconds (5 s unless the image sets it).
        type: int
        default: 10
      devices:
        description: Refused (host devices break the isolation boundary).
        type: raw
      privileged:
        description: Refused when true (not supported on Windows).
        type: bool
      read_only:
        description: Refused when true (not supported on Windows).
        type: bool
  trust_boundary:
    description:
      - Organisation or tenant that owns the host and its kernel (C(wincontainers_trust_boundary)).
      - Required by the trust policy; must be a string (a list is refused, not turned into text).
    type: str
  isolation_preference:
    description: Isolation used when trust allows either (C(wincontainers_isolation_preference)).
    type: str
    choices: [process, hyperv]
  allow_isolation_downgrade:
    description:
      - Allow a workload's explicit C(process) request where trust requires Hyper-V
        (C(wincontainers_allow_isolation_downgrade)); never for C(hostile) workloads.
    type: bool
  allow_container_admin:
    description:
      - Allow admin accounts inside containers (C(wincontainers_allow_container_admin)).
      - This option, O(allow_isolation_downgrade) and O(purge) are read as Ansible reads booleans
        (C(yes)/C(no), C(true)/C(false), C(on)/C(off), C(1)/C(0), any case), the same reading as
        the roles and the P(trustbound.wincontainers.isolation_decision#filter) filter.
    type: bool
  trust_limits:
    description:
      - Resource ceilings per trust level (C(wincontainers_trust_limits)) - a mapping of
        C(trusted), C(untrusted), C(hostile) to C(memory), C(cpus) and C(allow_raise).
      - A workload without its own limit gets its level's ceiling, may set less, and more only
        where C(allow_raise) is true; otherwise it is refused (rule C(trust-limit-exceeded)).
      - Each key given for a level goes over its default (0 removes a ceiling); defaults are
        untrusted C(2g) and 2 CPUs, hostile C(1g) and 1 CPU, trusted none. A CPU ceiling above
        the host's processors is taken down to them.
    type: raw
  trust_registries:
    description:
      - Image sources per trust level (C(wincontainers_trust_registries)) - a mapping of trust
        levels to C(registries) (registry names, optionally with a path prefix) and
        C(require_digest).
      - An image from another registry is refused (rule C(registry-not-allowed)), an image by
        tag where a digest is required too (rule C(digest-required)). A level not named is not
        restricted.
    type: raw
  network_separation:
    description:
      - A network per trust group (C(wincontainers_network_separation)) - every group (trust
        boundary and level) other than the host owner's trusted code gets a NAT network of its own
        (C(tbwc-<boundary>-<level>-<hash>)), made before its first workload is created or started;
        hostile code that publishes no port and names no network gets C(none).
      - A workload naming a network another group uses is refused (rule
        C(network-shared-across-trust)); on Windows Server 2016 (one NAT network only) a group that
        needs its own network is refused (rule C(network-separation-unsupported-2016)).
      - Read as Ansible reads a boolean; true when not given.
    type: raw
  network_pool:
    description:
      - The IPv4 range (C(wincontainers_network_pool)) the groups' networks take a /24 from, chosen
        from the network's name; C(172.30.0.0/16) when not given.
    type: raw
  enforcement:
    description:
      - What to do with a running container that uses an administrator account the host does not
        allow. V(enforce) replaces it with a compliant one; V(report) leaves it, lists it in
        RV(noncompliant) and fails the host after the other changes.
    type: str
    choices: [enforce, report]
    default: enforce
  purge:
    description: Remove managed containers of the same O(owner) that O(workloads) no longer lists.
    type: bool
    default: false
  owner:
    description:
      - Value of the C(trustbound.wincontainers.owner) label; O(purge) only removes containers
        with this owner, so two inventories can share a host. An empty owner is refused.
      - A workload whose name another owner's container, or a container this collection does not
        manage, holds is refused before any change (unless listed in O(adopt)).
    type: str
    default: trustbound.wincontainers
  config_hash_key:
    description:
      - Secret key of the C(trustbound.wincontainers.config_hash) label (C(no_log)). Each host gets
        its own key, HMAC-SHA256 of the host's name under this one, and the label is an
        HMAC-SHA256 of the container's configuration, secret_env values included.
      - Without it the label covers no secret value (only the secret variables' names), so
        changing a secret value does not replace the container; a warning says so.
      - No value derived from a secret is stored or shown without this key.
    type: str
  adopt:
    description:
      - Workload names whose existing container (another owner's, or unmanaged) this run may take
        over - replace it with one carrying this owner's labels, or remove it for
        C(state=absent).
    type: list
    elements: str
    default: []
  lock_timeout:
    description:
      - Seconds the apply waits for the host lock (one writer per host, held by
        M(trustbound.wincontainers.container_steps)) while another run changes the host; then the
        host fails naming the lock's holder and since when, and nothing is changed. From 0 to
        3600.
    type: int
    default: 300
  lease_id:
    description:
      - The lease this run belongs to (the C(trustbound.wincontainers.container_updates) role's
        patch holds the host with one across Windows Update and its restarts). The apply is
        admitted while that lease runs, and its normal end ends the lease.
      - Unset, the apply waits for any lease as for a held lock (O(lock_timeout)).
    type: str
  start_timeout:
    description:
      - Seconds a new container has to be seen running before it counts as failed.
      - From 1 to 3600 (one hour, since the wait happens inside one module run); anything else is
        refused before any change.
    type: int
    default: 10
  end_lease:
    description:
      - With O(lease_id), end that lease however the task ends - after a successful apply (which
        ends it), with nothing to change, after a refusal or a failed step. RV(lease_ended) says
        whether it ended. The patch's restore uses it.
    type: bool
    default: false
  keep_going:
    description:
      - When a workload's change fails (its container does not start, the engine refuses it), read
        the host again and reconcile the other workloads without it, instead of leaving them as
        they are. The task still fails, listing in RV(not_reconciled) each workload it could not
        bring to its state with the engine's message.
      - The patch's restore uses it - every drained workload that can start again does.
    type: bool
    default: false
  refuse_newer_revision_under_process:
    description:
      - Refuse, before any change, a workload that would run under process isolation on an image
        revision newer than the host's (same build). Such containers fail to start (HCS
        0xc0370106); without this option the start fails and the replacement is rolled back.
      - The base image refresh sets it (rule V(newer-image-revision-under-process)).
    type: bool
    default: false
  host_info:
    description:
      - The registered result of M(trustbound.wincontainers.container_host_info) for this host,
        read earlier in the play. When given, the action plans against it and does not run
        C(container_host_info) again (one module run less).
      - It must be this host's read, taken after the last change to its containers; a result
        without C(os), C(engine), C(images) and C(containers) is refused before any change.
    type: dict
  registry_credentials:
    description:
      - Credentials for pulling from private registries; a pull logs in (password on standard
        input), pulls and logs out. Passwords are never logged.
    type: list
    elements: dict
    default: []
    suboptions:
      registry:
        description: Registry host, as in the image reference (C(myregistry.example.com:5000)).
        type: str
        required: true
      username:
        description: User name.
        type: str
        required: true
      password:
        description: Password or token.
        type: str
        required: true
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
    details:
      - Nothing is pulled or changed; the planned steps are returned. An image the host lacks is
        not pulled, so the decision is made on trust alone and its reasons say "image version
        unknown".
  diff_mode:
    description:
      Will return details on what has changed (or possibly needs changing in check_mode), when in
      diff mode.
    support: full
    details: Before and after of each workload that changes; environment values are not shown.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: windows
notes:
  - The hash in the C(trustbound.wincontainers.config_hash) label covers secret values so that a
    changed secret replaces the container. It reveals nothing that C(docker inspect) does not
    already show to whoever can read labels (see C(docs/container_workloads.md)); task output
    (steps, diffs) shows it masked, since job logs reach people without engine access.
seealso:
  - module: trustbound.wincontainers.container_host_info
  - module: trustbound.wincontainers.container_steps
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Deploy this host's workloads (the role passes the host's trust variables)
  trustbound.wincontainers.container_workloads:
    workloads: "{{ wincontainers_workloads }}"
    trust_boundary: "{{ wincontainers_trust_boundary }}"
    purge: true

- name: A trusted service of the host's owner, a partner's API and an untrusted build job
  trustbound.wincontainers.container_workloads:
    trust_boundary: acme
    workloads:
      - name: web
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022
        command: [ping, -t, localhost]
        ports: ["8080:80"]
        restart_policy: unless-stopped
      - name: partner-api
        image: registry.partner.example:5000/api:2.1
        trust_boundary: partner-a
        secret_env:
          API_TOKEN: "{{ vault_partner_api_token }}"
        memory: 1g
        cpus: 2
      - name: build
        image: mcr.microsoft.com/windows/servercore:ltsc2022
        trust_level: untrusted
        state: stopped
    registry_credentials:
      - registry: registry.partner.example:5000
        username: deploy
        password: "{{ vault_partner_registry_password }}"

- name: Audit only - report containers running as an administrator account
  trustbound.wincontainers.container_workloads:
    workloads: "{{ wincontainers_workloads }}"
    trust_boundary: "{{ wincontainers_trust_boundary }}"
    enforcement: report
"""

RETURN = r"""
changed:
  description: Whether any container changed (or would, in check mode).
  returned: always
  type: bool
lease_ended:
  description: With O(end_lease), whether the lease ended.
  returned: when O(end_lease) and O(lease_id) are given, not in check mode
  type: bool
not_reconciled:
  description:
    - With O(keep_going), each workload that could not be brought to its state, with the message
      of its failure; the others were reconciled.
  returned: when O(keep_going) is true and the workloads were valid
  type: list
  elements: dict
  contains:
    name:
      description: The workload.
      type: str
    msg:
      description: Why (the engine's message, what was rolled back).
      type: str
summary:
  description: "One line per workload: C(<name>: <action> (<isolation>, <user>))."
  returned: when the workloads were valid
  type: list
  elements: str
  sample: ["web: create (process, ContainerUser)", "partner-api: none (hyperv, ContainerUser)"]
decisions:
  description:
    - Each line of RV(summary) with the reasons for its isolation and user (the
      C(decision.reasons) of RV(workloads)); what the role shows.
  returned: when the workloads were valid
  type: dict
  sample:
    "web: create (process, ContainerUser)":
      - trusted workload of the host's own trust boundary may share the kernel
workloads:
  description: One entry per workload (and per purged container).
  returned: when the workloads were valid
  type: list
  elements: dict
  contains:
    name:
      description: Workload (container) name.
      type: str
      sample: web
    action:
      description:
        - V(create), V(replace), V(start), V(stop), V(remove), V(purge), V(report), V(none).
        - V(recover) when the container was found under its temporary name, left by a replacement
          whose last step (the rename) did not happen; it is renamed back first.
      type: str
      sample: replace
    changes:
      description: Why the action is needed (the differences found).
      type: list
      elements: str
      sample: [isolation, label trustbound.wincontainers.isolation]
    decision:
      description: The trust policy's decision (empty for V(absent) workloads).
      type: dict
      contains:
        isolation:
          description: C(process) or C(hyperv).
          type: str
        user:
          description: Account the container runs as.
          type: str
        reasons:
          description: One sentence per rule that applied.
          type: list
          elements: str
        rules:
          description: Rule ids, in order.
          type: list
          elements: str
    failed:
      description: Set on the workload whose step failed.
      type: bool
      returned: when a step of this workload failed
steps:
  description:
    - The planned docker steps in order, secret values shown as C(********), each with a
      C(status) of V(planned) (check mode), V(ok), V(failed) or V(not run).
  returned: when the workloads were valid
  type: list
  elements: dict
  sample:
    - action: create
      name: web
      image: mcr.microsoft.com/windows/nanoserver:ltsc2022
      isolation: process
      user: ContainerUser
      status: ok
rollback:
  description: The rollback steps run after a failed step, with their outcome.
  returned: when container_steps ran
  type: list
  elements: dict
pull_results:
  description:
    - The results of the pull run (as M(trustbound.wincontainers.container_steps) returns them)
      when pulling an image failed; no container was changed.
  returned: when a pull failed
  type: list
  elements: dict
noncompliant:
  description: Running containers that use an administrator account the host does not allow.
  returned: when the workloads were valid
  type: list
  elements: dict
  sample: [{name: legacy, user: ContainerAdministrator, managed: true, reason: "..."}]
pulled:
  description: Images pulled before any container change.
  returned: when the workloads were valid
  type: list
  elements: str
host_lock:
  description:
    - The host lock the apply held, the C(lock) result of
      M(trustbound.wincontainers.container_steps) - C(path), C(waited_seconds), C(taken_over) (the
      record a run that did not finish left), or C(holder) when the wait timed out.
  returned: when container changes were carried out
  type: dict
plan_attempts:
  description:
    - How many times the host was read and the plan made. More than 1 when another run held
      the host lock as the apply arrived - that run changed the host, so this one read it again
      and planned again rather than carry out a plan made before that change (at most 3).
  returned: when container changes were planned outside check mode
  type: int
  sample: 1
module_runs:
  description: How many module runs this task made on the host (1 when nothing had to change).
  returned: always
  type: int
  sample: 1
rule:
  description: The rule that refused the input.
  returned: when the input was refused
  type: str
  sample: trust-requires-hyperv
msg:
  description: What happened, or why the host failed (naming the host, the workload and the rule).
  returned: when failed or in check mode
  type: str
"""
