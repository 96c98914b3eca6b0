#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: container_steps
short_description: Carry out an ordered list of docker steps on a Windows container host
version_added: 0.1.0
description:
  - Runs the docker CLI steps it is given, in order, and stops at the first step that fails.
  - When a step fails, the steps in that step's O(steps[].on_failure) list are run (a planned
    rollback), their outcome is reported, and the module fails with the engine's message.
  - It decides nothing. The order, the rollback and every setting are planned on the controller
    by the M(trustbound.wincontainers.container_workloads) action; use that action rather than
    calling this module directly.
  - "Secret values never appear on the docker command line. A step refers to them as
    C({\"secret\": \"<key>\"}) and the module hands them to the docker CLI through its environment."
options:
  steps:
    description:
      - The steps, in the order they are carried out.
    type: list
    elements: dict
    required: true
    suboptions:
      action:
        description:
          - V(pull) pulls O(steps[].image), after C(docker login --password-stdin) when
            O(steps[].registry) is set, and logs out again. The login goes to a client
            configuration directory of the run's own, deleted afterwards, never to the user's
            C(config.json).
          - V(create) creates a container with an explicit C(--isolation) and C(--user) and all its
            settings. Networks after the first are connected with C(docker network connect).
          - V(start), V(stop), V(remove) and V(rename) act on container O(steps[].name).
          - V(remove_image) removes the image O(steps[].image) (an id or a reference) with
            C(docker image rm), without C(--force), so docker refuses an image a container uses.
          - V(wait_running) polls C(docker container inspect) until the container's status has been
            C(running) on two polls in a row a second apart (a container its restart policy keeps
            restarting does not count), and fails as soon as it has exited, with its exit code and
            its last log lines.
          - V(ensure_network) creates the NAT network O(steps[].name) with O(steps[].subnet)
            (C(docker network create --driver=nat --subnet=...)) unless C(docker network inspect)
            finds it; Windows Server 2019 and later do not keep user NAT networks across a reboot.
        type: str
        required: true
        choices:
          - pull
          - create
          - start
          - wait_running
          - stop
          - remove
          - rename
          - remove_image
          - ensure_network
      name:
        description: Container name (the network's name for V(ensure_network)).
        type: str
      subnet:
        description: The IPv4 subnet of the network V(ensure_network) creates.
        type: str
      workload:
        description: The workload this step belongs to, only echoed in the results.
        type: str
      image:
        description: Image reference (tag or digest) for V(pull) and V(create).
        type: str
      registry:
        description: Registry to log in to before V(pull); a key of O(registry_credentials).
        type: str
      isolation:
        description: Isolation of the container created.
        type: str
        choices: [process, hyperv]
      user:
        description: User the container's processes run as.
        type: str
      command:
        description: Command (arguments after the image).
        type: list
        elements: str
      entrypoint:
        description: Entry point executable.
        type: str
      env:
        description:
          - "Environment variables. A value is either text or C({\"secret\": \"<key>\"}), where
            C(<key>) is a key of O(secrets)."
        type: dict
      ports:
        description: Published ports, C(host:container[/proto]).
        type: list
        elements: str
      mounts:
        description: Volumes and bind mounts, C(source:target[:ro]).
        type: list
        elements: str
      networks:
        description: Networks; the first is given to C(docker create).
        type: list
        elements: str
      restart_policy:
        description: Restart policy (C(no), C(always), C(unless-stopped), C(on-failure[:N])).
        type: str
      memory_bytes:
        description:
          - Memory limit in bytes, as a string of digits; V(0) means no limit.
          - A string because the C(int) type of Ansible.Basic is 32-bit.
        type: str
      cpus:
        description: CPU limit.
        type: float
      storage_bytes:
        description:
          - Scratch disk size in bytes (C(--storage-opt size=)), as a string of digits; unset
            means the engine's default.
        type: str
      labels:
        description: Labels.
        type: dict
      timeout:
        description: Seconds for V(stop) and V(wait_running) (default 10).
        type: int
      force:
        description: Remove a running container (C(docker rm --force)).
        type: bool
        default: false
      new_name:
        description: New name for V(rename).
        type: str
      on_failure:
        description:
          - Rollback steps run when this step fails, in order. Their failures are reported, not
            acted upon.
          - Only the actions a rollback needs, with the fields they take.
        type: list
        elements: dict
        suboptions:
          action:
            description: As O(steps[].action).
            type: str
            required: true
            choices: [start, stop, remove, rename]
          name:
            description: As O(steps[].name).
            type: str
            required: true
          workload:
            description: As O(steps[].workload).
            type: str
          timeout:
            description: As O(steps[].timeout).
            type: int
          force:
            description: As O(steps[].force).
            type: bool
            default: false
          new_name:
            description: As O(steps[].new_name).
            type: str
  secrets:
    description:
      - "Secret values, referenced from the steps as C({\"secret\": \"<key>\"}). Never logged."
      - A list of O(secrets[].key)/O(secrets[].value) entries rather than a dictionary,
        because Ansible.Basic masks the values of C(no_log) suboptions but not those inside
        a C(no_log) dictionary.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: The name the steps refer to.
        type: str
        required: true
      value:
        description: The secret value.
        type: str
        required: true
  registry_credentials:
    description:
      - Credentials for V(pull) steps that name a O(steps[].registry).
    type: list
    elements: dict
    default: []
    suboptions:
      registry:
        description: Registry host name, as in C(docker login <registry>).
        type: str
        required: true
      username:
        description: User name.
        type: str
        required: true
      password:
        description: Password or token, given to C(docker login) on standard input.
        type: str
        required: true
  docker_path:
    description: Path of C(docker.exe).
    type: str
    default: docker.exe
  lock_timeout:
    description:
      - Seconds to wait for the host lock (one writer per host) before failing with a message
        naming its holder and since when. The controller passes it; V(0) tries once.
      - The lock is the file C(%ProgramData%\trustbound.wincontainers\host.lock), opened for
        writing with C(FileShare.Read) for the whole run and holding a record of the holder.
        Windows closes the handle when the process ends, however it ends, so a lock whose
        holder died is taken over (RV(lock.taken_over) names it). Check mode takes no lock.
    type: int
    default: 0
  lock_holder:
    description: Who holds the lock, written into its record (the controller's run, job, user).
    type: str
    default: trustbound.wincontainers.container_steps
  lease_id:
    description:
      - A lease keeps the host lock across module runs and restarts (a patch - drain, Windows
        Update with its restarts, restore). While a lease of another id runs, this run waits
        for it as for a held lock; a run with the same id takes the lock.
      - Empty, this run takes the lock only when no lease runs.
    type: str
    default: ''
  lease_seconds:
    description:
      - With O(lease_id), a normal end leaves a lease of that id for this many seconds instead
        of an empty lock record. V(0) ends a lease of that id. A failed run ends any lease.
    type: int
    default: 0
  replan_after_wait:
    description:
      - When another run held the lock as this one arrived, wait for it, then carry out no step
        and return RV(replan=true), since the steps were planned from a read taken before that
        run changed the host. The container_workloads action sets it, reads the host again and
        plans again.
    type: bool
    default: false
attributes:
  check_mode:
    description:
      Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode nothing is run; every step is reported as planned.
  diff_mode:
    description:
      Will return details on what has changed (or possibly needs changing in check_mode), when in
      diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: windows
notes:
  - The controller side, M(trustbound.wincontainers.container_workloads), plans the steps; the
    contract is in C(docs/architecture.md) ("container_steps contract").
seealso:
  - module: trustbound.wincontainers.container_workloads
author:
  - trustbound.wincontainers maintainers (@trustbound)
"""

EXAMPLES = r"""
- name: Replace a container that publishes no host port (normally planned by container_workloads)
  trustbound.wincontainers.container_steps:
    secrets:
      - key: s0
        value: "{{ vault_api_token }}"
    steps:
      - action: create
        name: api-tbwc-new
        workload: api
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022
        isolation: hyperv
        user: ContainerUser
        env:
          API_TOKEN:
            secret: s0
        on_failure:
          - action: remove
            name: api-tbwc-new
            force: true
      - action: start
        name: api-tbwc-new
        on_failure:
          - action: remove
            name: api-tbwc-new
            force: true
      - action: wait_running
        name: api-tbwc-new
        timeout: 10
        on_failure:
          - action: remove
            name: api-tbwc-new
            force: true
      - action: stop
        name: api
      - action: remove
        name: api
      - action: rename
        name: api-tbwc-new
        new_name: api
  no_log: true
"""

RETURN = r"""
results:
  description:
    - One entry per step carried out, in order, then the failed step's O(steps[].on_failure) steps
      (with RV(results[].rollback) true).
    - In check mode, one entry per planned step, with RV(results[].rc) null.
  returned: always
  type: list
  elements: dict
  contains:
    index:
      description: Index of the step in O(steps) (for rollback steps, the failed step's index).
      type: int
      sample: 0
    action:
      description: The step's action.
      type: str
      sample: create
    name:
      description: Container name (the image for V(pull)).
      type: str
      sample: web
    workload:
      description: The step's O(steps[].workload).
      type: str
      sample: web
    changed:
      description: Whether the step changed the host.
      type: bool
      sample: true
    rc:
      description: Exit code of the docker command.
      type: int
      sample: 0
    stderr:
      description: Standard error of the docker command (the engine's message on failure).
      type: str
      sample: ""
    rollback:
      description: Whether the step ran as part of a failed step's O(steps[].on_failure).
      type: bool
      sample: false
    image:
      description: For V(pull), the pulled image as C(docker image inspect) reports it.
      type: dict
      returned: when a pull succeeded
      sample:
        id: sha256:4f1e
        repo_tags: [mcr.microsoft.com/windows/nanoserver:ltsc2022]
        repo_digests: []
        os_version: 10.0.20348.2340
        user: ContainerUser
    exit_code:
      description: For V(wait_running), the exit code of a container that exited.
      type: int
      returned: when the container exited
      sample: 1
lock:
  description: The host lock of this run (not in check mode).
  returned: when the module got as far as the lock
  type: dict
  contains:
    path:
      description: The lock file.
      type: str
    waited_seconds:
      description: Seconds this run waited for it.
      type: int
    contended:
      description: Whether another run held the lock when this one arrived.
      type: bool
    taken_over:
      description: The record a holder that did not finish left (its process ended), or null.
      type: dict
    lease:
      description: The lease of this run's lease id the lock carried when taken, or null.
      type: dict
    holder:
      description: When the wait timed out, the record of the run that holds the lock.
      type: dict
replan:
  description:
    - True when no step was carried out because another run held the lock as this one arrived
      (O(replan_after_wait)); the plan must be made again from a fresh read.
  returned: when the module got as far as the lock
  type: bool
  sample: false
failed_step:
  description: Index of the step that failed, null when none did.
  returned: always
  type: int
  sample: 2
msg:
  description: What was done, or the failed step and the engine's message.
  returned: always
  type: str
  sample: "step 2 (wait_running web-tbwc-new) failed: container 'web-tbwc-new' exited with code 1"
"""
