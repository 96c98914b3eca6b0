# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options of the workload reconcile (plugins/plugin_utils/workload_reconcile.py), taken
    # by every action that runs it: container_workloads and container_patch_restore.
    DOCUMENTATION = r"""
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
      storage:
        description:
          - Scratch disk size (C(docker create --storage-opt size=)), in bytes or as C(20g),
            C(1t); at least 20 GB (rule C(storage-below-floor)), as Windows gives every container
            a 20 GB scratch disk and docker only grows it.
          - Unset, the engine's default (127 GB from dockerd 23.0, 20 GB before) unless the
            workload's trust level has a ceiling.
        type: raw
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
        C(trusted), C(untrusted), C(hostile) to C(memory), C(cpus), C(storage) and
        C(allow_raise).
      - A workload without its own limit gets its level's ceiling, may set less, and more only
        where C(allow_raise) is true; otherwise it is refused (rule C(trust-limit-exceeded)).
      - Each key given for a level goes over its default (0 removes a ceiling); defaults are
        untrusted C(2g), 2 CPUs and C(50g) of storage, hostile C(1g), 1 CPU and C(20g),
        trusted none. A CPU ceiling above
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
        RV(trustbound.wincontainers.container_workloads#module:noncompliant) and fails the host
        after the other changes.
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
"""
