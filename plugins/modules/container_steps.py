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
  - A narrow executor. It runs the docker command lines the controller rendered
    (C(plugins/plugin_utils/executor_args.py)), in order, and stops at the first step whose
    command fails; then the steps in that step's O(steps[].on_failure) run (a planned rollback)
    and the module fails. It returns each command's raw outcome (RV(outcomes)).
  - It decides nothing and builds no command line. The executable is the C(docker.exe) the
    collection installs (C(%ProgramFiles%\docker), where
    M(trustbound.wincontainers.container_engine) puts it); the first word of every command
    must be one of the docker subcommands the controller renders, and docker's global options
    (C(-H), C(--host), C(--context), C(-c), C(--config), C(-l), C(--log-level), C(-D),
    C(--debug), C(--tls)) are refused before anything runs, as is a command naming a secret key
    or a registry the module was not given.
  - "Every command runs with docker's client configuration in a directory of the run's own
    (C(DOCKER_CONFIG) in the module's temporary directory, closed to other users and removed
    when the module ends) and without any C(DOCKER_*) variable of the host: a profile's
    C(config.json) (its current context) cannot send a command to another daemon, and a
    registry login lasts the run, no longer."
  - The action plugin of the same name also takes planned steps (V(action), V(name),
    V(image), V(registry), ... as C(container_plan.py) writes them), renders them, and maps the
    outcomes back to C(results). The M(trustbound.wincontainers.container_workloads) action
    does the same; use it rather than this module directly.
  - "Secret values never appear on a command line: a command names the secret key of each
    environment variable (O(steps[].commands[].env)), and a registry password goes to stdin."
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
          - What the step does, for the report (the controller's plan names it); the executor
            runs the step's commands whatever it says.
        type: str
        required: true
        choices:
          [pull, create, start, wait_running, stop, remove, rename, remove_image, ensure_network]
      name:
        description: The container (or network) the step acts on, for the report.
        type: str
      workload:
        description: The workload the step belongs to, for the report.
        type: str
      image:
        description: The image the step acts on, for the report.
        type: str
      container_id:
        description: The id of the container the step was planned against, from the read.
        type: str
      commands:
        description: The step's commands, in order; the first that fails fails the step.
        type: list
        elements: dict
        default: []
        suboptions:
          argv:
            description: The words after C(docker.exe), as C(--flag=value) words.
            type: list
            elements: str
            required: true
          env:
            description:
              - Environment variables the docker CLI gets for this command, each naming the
                O(secrets[].key) that holds its value (C(--env=NAME) then copies it into the
                container). Values never reach a command line.
            type: dict
          stdin:
            description: The O(secrets[].key) whose value goes to stdin (a registry password).
            type: str
          capture:
            description: Return the command's standard output.
            type: bool
            default: false
          undo:
            description: Commands run when this command fails (the step's own clean-up).
            type: list
            elements: dict
            suboptions:
              argv:
                description: As the command's C(argv).
                type: list
                elements: str
                required: true
      skip_if:
        description: A command whose success means the step is already done (nothing else runs).
        type: dict
        suboptions:
          argv:
            description: The words after C(docker.exe), as C(--flag=value) words.
            type: list
            elements: str
            required: true
          env:
            description:
              - Environment variables the docker CLI gets for this command, each naming the
                O(secrets[].key) that holds its value (C(--env=NAME) then copies it into the
                container). Values never reach a command line.
            type: dict
          stdin:
            description: The O(secrets[].key) whose value goes to stdin (a registry password).
            type: str
          capture:
            description: Return the command's standard output.
            type: bool
            default: false
          undo:
            description: Commands run when this command fails (the step's own clean-up).
            type: list
            elements: dict
            suboptions:
              argv:
                description: As the command's C(argv).
                type: list
                elements: str
                required: true
      poll:
        description:
          - Run after the commands (V(wait_running)) until its output has been
            O(steps[].poll.success)
            O(steps[].poll.successes) times in a row, O(steps[].poll.interval) seconds apart;
            an output in O(steps[].poll.failure), a failed command, or O(steps[].poll.timeout)
            seconds fail the step.
        type: dict
        suboptions:
          command:
            description: The command polled (its output is captured).
            type: dict
            required: true
            suboptions:
              argv:
                description: The words after C(docker.exe), as C(--flag=value) words.
                type: list
                elements: str
                required: true
              env:
                description:
                  - Environment variables the docker CLI gets for this command, each naming the
                    O(secrets[].key) that holds its value (C(--env=NAME) then copies it into the
                    container). Values never reach a command line.
                type: dict
              stdin:
                description: The O(secrets[].key) whose value goes to stdin (a registry password).
                type: str
              capture:
                description: Return the command's standard output.
                type: bool
                default: false
              undo:
                description: Commands run when this command fails (the step's own clean-up).
                type: list
                elements: dict
                suboptions:
                  argv:
                    description: As the command's C(argv).
                    type: list
                    elements: str
                    required: true
          success:
            description: The output (trimmed) that counts as success.
            type: str
            required: true
          failure:
            description: Outputs that fail the step at once.
            type: list
            elements: str
            default: []
          successes:
            description: Successes in a row needed.
            type: int
            default: 1
          interval:
            description: Seconds between polls.
            type: int
            default: 1
          timeout:
            description: Seconds before the step fails.
            type: int
            default: 10
      diagnose:
        description:
          Commands run when the step fails, their output captured (exit code, last log lines).
        type: list
        elements: dict
        default: []
        suboptions:
          argv:
            description: The words after C(docker.exe), as C(--flag=value) words.
            type: list
            elements: str
            required: true
          env:
            description:
              - Environment variables the docker CLI gets for this command, each naming the
                O(secrets[].key) that holds its value (C(--env=NAME) then copies it into the
                container). Values never reach a command line.
            type: dict
          stdin:
            description: The O(secrets[].key) whose value goes to stdin (a registry password).
            type: str
          capture:
            description: Return the command's standard output.
            type: bool
            default: false
          undo:
            description: Commands run when this command fails (the step's own clean-up).
            type: list
            elements: dict
            suboptions:
              argv:
                description: As the command's C(argv).
                type: list
                elements: str
                required: true
      finally:
        description: Commands that run after the step however it ended (a logout).
        type: list
        elements: dict
        default: []
        suboptions:
          argv:
            description: The words after C(docker.exe), as C(--flag=value) words.
            type: list
            elements: str
            required: true
          env:
            description:
              - Environment variables the docker CLI gets for this command, each naming the
                O(secrets[].key) that holds its value (C(--env=NAME) then copies it into the
                container). Values never reach a command line.
            type: dict
          stdin:
            description: The O(secrets[].key) whose value goes to stdin (a registry password).
            type: str
          capture:
            description: Return the command's standard output.
            type: bool
            default: false
          undo:
            description: Commands run when this command fails (the step's own clean-up).
            type: list
            elements: dict
            suboptions:
              argv:
                description: As the command's C(argv).
                type: list
                elements: str
                required: true
      on_failure:
        description: Steps run when this step fails, with the report fields and commands of a step.
        type: list
        elements: dict
        suboptions:
          action:
            description:
              - What the step does, for the report (the controller's plan names it); the executor
                runs the step's commands whatever it says.
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
            description: The container (or network) the step acts on, for the report.
            type: str
          workload:
            description: The workload the step belongs to, for the report.
            type: str
          image:
            description: The image the step acts on, for the report.
            type: str
          container_id:
            description: The id of the container the step was planned against, from the read.
            type: str
          commands:
            description: As O(steps[].commands).
            type: list
            elements: dict
            default: []
            suboptions:
              argv:
                description: The words after C(docker.exe), as C(--flag=value) words.
                type: list
                elements: str
                required: true
              env:
                description:
                  - Environment variables the docker CLI gets for this command, each naming the
                    O(secrets[].key) that holds its value (C(--env=NAME) then copies it into the
                    container). Values never reach a command line.
                type: dict
              stdin:
                description: The O(secrets[].key) whose value goes to stdin (a registry password).
                type: str
              capture:
                description: Return the command's standard output.
                type: bool
                default: false
              undo:
                description: Commands run when this command fails (the step's own clean-up).
                type: list
                elements: dict
                suboptions:
                  argv:
                    description: As the command's C(argv).
                    type: list
                    elements: str
                    required: true
  preconditions:
    description:
      - Checks run under the host lock before any step. When a check's exit code or trimmed
        output differs from what the controller expects (the read's container ids), no step
        runs and the module returns RV(replan=true).
    type: list
    elements: dict
    default: []
    suboptions:
      argv:
        description: As O(steps[].commands[].argv).
        type: list
        elements: str
        required: true
      rc:
        description: The expected exit code.
        type: int
        default: 0
      stdout:
        description: The expected output.
        type: str
        default: ''
  secrets:
    description:
      - Secret values (secret environment values, registry passwords), referenced by key from
        a command's O(steps[].commands[].env) values and O(steps[].commands[].stdin). Never
        logged.
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
      - Registry credentials, for the action plugin. It renders each C(docker login) with the
        user name and passes the password to the module as the secret
        C(registry:<registry>), which the login's O(steps[].commands[].stdin) names. The
        module itself ignores this option.
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
        of an empty lock record. V(0) ends a lease of that id. A failed run ends any lease,
        unless O(keep_lease_on_failure).
    type: int
    default: 0
  keep_lease_on_failure:
    description:
      - When a step fails, leave the lease this run was given (the one the lock carried when
        taken) instead of ending it, so a keep-going restore still holds the host.
    type: bool
    default: false
  keep_lease:
    description:
      - However the run ends, leave the lease this run was given (the one the lock carried when
        taken) instead of ending it or leaving a new one, for a run that another run under the
        same lease follows (the patch restore's networks, then its workloads).
    type: bool
    default: false
  client_config:
    description:
      - The text of the C(config.json) written into the run's own client configuration
        directory before any command runs. The controller renders it (C(executor_args.py))
        so that a registry login is stored in that file, removed with the run, rather than
        in a credential helper's store.
    type: str
  replan_after_wait:
    description:
      - When another run held the lock as this one arrived, wait for it, then carry out no step
        and return RV(replan=true), since the steps were planned from a read taken before that
        run changed the host. The container_workloads action sets it, reads the host again and
        plans again.
    type: bool
    default: false
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
    details: In check mode nothing is run; every step is reported as planned.
  diff_mode:
    support: none
  platform:
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
outcomes:
  description:
    - The module's raw outcome of each step carried out (C(index), C(failed), C(commands) with
      each command's C(rc), C(stderr) and captured C(stdout), C(poll), C(diagnose),
      C(skipped), and C(rollback)/C(position) for an O(steps[].on_failure) step). The action
      plugin of the same name (and every controller caller, through
      C(plugins/plugin_utils/executor_args.py)) maps them to C(results), with per step C(index),
      C(action), C(name), C(workload), C(changed), C(rc), C(stderr), C(rollback), for a pull
      the pulled C(image) (id, repo_tags, repo_digests, os_version, user), and for a container
      that exited right after start its C(exit_code).
  returned: always
  type: list
  elements: dict
carried_out:
  description: False in check mode, where nothing runs.
  returned: in check mode
  type: bool
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
