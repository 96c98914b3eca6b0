# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation stub: the module is container_engine.ps1, fronted by
# the action plugin plugins/action/container_engine.py.

DOCUMENTATION = r"""
---
module: container_engine
short_description: Install a pinned container engine on a Windows host and harden its configuration
version_added: 0.1.0
description:
  - Installs the Docker engine from Docker's static Windows binaries at a pinned version, verifies
    the zip's SHA-256 on the host after every download, registers and starts the C(docker)
    service, and writes a hardened C(daemon.json).
  - Everything is decided on the controller first. The pin is refused before any change when the
    host's Windows build cannot run it (Docker 23.0 and later refuse builds below 17763, so
    Windows Server 2016 needs a 20.10 engine), and C(daemon.json) is refused when it is unsafe (a
    TCP listener without TLS client verification, insecure registries, unbounded logs, unknown
    keys; see C(docs/container_host.md)).
  - Idempotent. The zip is downloaded once into O(cache_dir) and reused while its checksum matches;
    nothing is downloaded when the installed version already matches. C(daemon.json) is compared
    as canonical JSON and the engine restarts only when it changed or the binaries were replaced.
options:
  runtime:
    description:
      - The container runtime. Only V(docker) today; the module and its action plugin are keyed by
        runtime so that containerd with nerdctl can be added.
    type: str
    choices: [docker]
    default: docker
  version:
    description:
      - The engine version to install, for example V(27.3.1).
      - Windows Server 2016 needs a 20.10 engine, for example V(20.10.24).
    type: str
    required: true
  url:
    description:
      - Where the host downloads the engine zip (https only).
      - Defaults to C(https://download.docker.com/win/static/stable/x86_64/docker-<version>.zip).
    type: str
  checksum:
    description:
      - SHA-256 of the zip at O(url), 64 hexadecimal characters. Always verified on the host after
        the download; a mismatch fails the task and the file is discarded.
      - There is no default. Download the zip once from a trusted network and compute it
        (C(sha256sum) or C(Get-FileHash)).
    type: str
    required: true
  cache_dir:
    description: Directory on the host that keeps downloaded zips between runs.
    type: path
    default: C:\ProgramData\wincontainers\downloads
  daemon_config:
    description:
      - The complete C(daemon.json) content. Validated on the controller before anything changes.
      - When omitted, the hardened default is used - named pipe only, json-file logs capped at
        10m x 3, and C(exec-opts) V(isolation=hyperv) when O(require_hyperv_isolation) is set.
    type: dict
  require_hyperv_isolation:
    description:
      - Refuse a O(daemon_config) whose default isolation is not Hyper-V. Set on hosts that run
        other trust boundaries' or untrusted workloads, so that a container started by hand still
        gets a Hyper-V boundary.
    type: bool
    default: false
  start_timeout:
    description:
      - Seconds to wait, after the service started, for the engine API to answer
        C(docker version). dockerd reports the service running before it initialises
        (networking, isolation, Windows checks), so only the API shows that it came up.
      - Between 1 and 900; anything else is refused on the controller before any change.
    type: int
    default: 120
  use_proxy:
    description:
      - Use the host's default proxy (or O(proxy_url)) for the engine download; V(false) connects
        directly. For a host without internet access, pre-seed the cache instead (see notes).
    type: bool
    default: true
  proxy_url:
    description:
      - Proxy for the engine download, instead of the host's default proxy, as
        C(http://host:port) or C(https://host:port).
      - A URL with a user name or password in it is refused before any change (it would be
        shown in logs); use O(proxy_username) and O(proxy_password).
    type: str
  proxy_username:
    description: User name for the proxy at O(proxy_url). Needs O(proxy_password).
    type: str
  proxy_password:
    description: Password for O(proxy_username). Needs O(proxy_username).
    type: str
  proxy_use_default_credential:
    description: Authenticate to O(proxy_url) as the connection's user (Kerberos/NTLM).
    type: bool
    default: false
  host_info:
    description:
      - The registered result of M(trustbound.wincontainers.container_host_info), taken since the
        last change to the host (feature install, restart, engine change). When given, the action
        decides on it instead of reading the host again, which saves one module run.
      - Pass it only when nothing changed the host since that read; a stale read makes a wrong
        plan. The C(trustbound.wincontainers.container_host) role passes it only when its feature
        task changed nothing and no restart happened.
      - A failed or skipped result, or anything that is not such a read, is refused.
    type: dict
  lock_timeout:
    description:
      - Seconds to wait for the host lock (one writer per host) while another run changes the
        host; then the task fails naming the lock's holder and since when, and nothing is
        changed. V(0) tries once. From 0 to 3600.
      - The lock is the file C(%ProgramData%\trustbound.wincontainers\host.lock), the one
        M(trustbound.wincontainers.container_steps) holds, held for the whole engine change
        (download, switch, restart, containers started again). Check mode takes no lock.
    type: int
    default: 300
  lock_holder:
    description:
      - Who holds the lock, written into its record. The action plugin sets it to this run
        (module, controller, process, AWX job); a task cannot set it.
    type: str
    default: trustbound.wincontainers.container_engine
  _steps:
    description:
      - Internal use only. The action plugin plans the steps; setting it on a task is refused.
    type: list
    elements: str
    choices:
      - install
      - unregister_service
      - remove_eventlog_source
      - register_service
      - protect_data_root
      - write_config
      - start
      - restart
    default: []
  _daemon_config_text:
    description:
      - Internal use only. The canonical JSON the action plugin validated.
    type: str
  _engine_host:
    description:
      - Internal use only. The engine's paths (install folder, C(daemon.json), data root and its
        C(windowsfilter) layers), the ACLs the module sets (data root, download cache), the
        service's name and registry keys, and every command line the module runs, rendered by
        the action plugin.
    type: dict
    required: true
notes:
  - Offline hosts - copy the verified zip to C(<cache_dir>\docker-<version>.zip) beforehand (for
    example with M(ansible.windows.win_copy)); a cached zip whose SHA-256 is O(checksum) is used
    without a download.
  - An engine change is a transaction. The zip is downloaded, verified and unpacked before anything
    changes; then the engine stops, the binaries and C(daemon.json) are replaced, the service
    starts and the module waits for C(docker version) to answer. When any of that fails (a
    C(docker.exe) held open by another process, a C(daemon.json) dockerd refuses, dockerd exiting
    during start-up), the previous binaries and C(daemon.json) are put back, the engine is started
    again when it ran before, and the task fails with dockerd's message and C(rolled back).
  - Stopping the engine stops every container on the host. Before it stops, the module lists
    the containers that run (C(docker ps), once it holds the host lock, since another run may
    have replaced containers after the controller's read); after the engine is back, one
    C(docker start) starts every container that ran before (every owner's, those started by hand
    too) again; any that would not start is reported in RV(containers.not_restarted) and as a
    warning. In check
    mode the task warns that the restart stops every container.
  - The binaries go to C(%ProgramFiles%\docker) (added to the machine C(PATH)) and the configuration
    to C(%ProgramData%\docker\config\daemon.json).
  - Before the engine starts, the C(Containers) feature must be installed and the host restarted;
    the task fails without changing anything otherwise. The
    C(trustbound.wincontainers.container_host) role orders these steps.
seealso:
  - module: trustbound.wincontainers.container_host_info
  - name: Docker static binaries for Windows
    description: Docker's download area for the engine zips.
    link: https://download.docker.com/win/static/stable/x86_64/
author:
  - trustbound.wincontainers maintainers (@trustbound)
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
    details: Reports the planned steps and changes nothing.
  diff_mode:
    support: full
    details: Shows C(daemon.json) and the engine version and service before and after.
  platform:
    support: full
    platforms: windows
    details: Windows Server 2016 and later.
"""

EXAMPLES = r"""
- name: Install Docker 27.3.1 with the hardened default configuration
  trustbound.wincontainers.container_engine:
    version: 27.3.1
    checksum: "{{ docker_27_3_1_sha256 }}"

- name: Windows Server 2016 runs the 20.10 line, from an internal mirror
  trustbound.wincontainers.container_engine:
    version: 20.10.24
    url: https://mirror.example.com/docker/docker-20.10.24.zip
    checksum: "{{ docker_20_10_24_sha256 }}"
    require_hyperv_isolation: true
"""

RETURN = r"""
rolled_back:
  description: Whether a failed change was undone (previous binaries and C(daemon.json) restored).
  returned: always
  type: bool
  sample: false
containers:
  description: The containers that ran before the engine stopped, after it is back.
  returned: always
  type: dict
  contains:
    restored:
      description: Ids of those running again.
      type: list
      elements: str
    not_restarted:
      description: Those that would not start, each with C(id), C(name) and docker's C(error).
      type: list
      elements: dict
    list_error:
      description:
        - Why the running containers could not be listed before the engine stopped (the API did
          not answer on the default pipe, the case a C(daemon.json) repair fixes); the change
          went on and the task warns.
      type: str
      returned: when C(docker ps) failed
data_root_acl:
  description:
    - Whether the engine's data root was given dockerd's protected ACL (step C(protect_data_root),
      with the engine stopped).
    - Not set where image layers are (C(windowsfilter) holds some), since setting an ACL on a
      folder rewrites the ACL of everything under it. The task warns.
  returned: when the steps included C(protect_data_root)
  type: dict
  contains:
    protected:
      description: The ACL was set.
      type: bool
    reason:
      description: Why it was not set (empty when it was).
      type: str
lock:
  description: The host lock this run held (not in check mode, nor when nothing was to change).
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
steps:
  description: The steps carried out, in order (in check mode, the steps that would be).
  returned: always
  type: list
  elements: str
  sample: [install, register_service, write_config, start]
engine:
  description: The engine after the task.
  returned: always
  type: dict
  contains:
    version:
      description: The installed engine version.
      type: str
      sample: 27.3.1
    service_state:
      description: State of the C(docker) service, C(running), C(stopped) or C(absent).
      type: str
      sample: running
download:
  description: The engine zip.
  returned: always
  type: dict
  contains:
    path:
      description: Where the zip is kept on the host, V(null) when nothing was needed.
      type: str
      sample: C:\ProgramData\wincontainers\downloads\docker-27.3.1.zip
    url:
      description: Where it came from.
      type: str
    checksum:
      description: Its verified SHA-256.
      type: str
    reused:
      description: Whether a cached zip with a matching checksum was used instead of downloading.
      type: bool
"""
