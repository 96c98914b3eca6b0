# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation stub: the module is container_host_info.ps1.

DOCUMENTATION = r"""
---
module: container_host_info
short_description: Read every fact a Windows container host decision needs, in one call
version_added: 0.1.0
description:
  - Reads, without changing anything, the Windows Server host's OS version with its patch level
    (UBR), its machine and processor virtualization capabilities, the C(Containers) and
    C(Hyper-V) feature states, whether a restart is pending, the Docker engine (binaries, version,
    service state, parsed C(daemon.json)), and, when the engine runs, every image and container.
  - Makes no decisions; the controller maps these facts onto the trust policy
    (C(plugins/plugin_utils/host_facts.py)).
  - Environment variables of containers are reported by name only; their values never leave the
    host.
  - The return shape is the contract in C(docs/architecture.md), "container_host_info return
    contract".
  - The host returns raw data (registry, CIM and feature values, the bytes of C(daemon.json), the
    service's configuration, the data root's SDDL, the host lock's record, and the output of the
    docker commands the controller renders); the action plugin of the same name renders those
    commands and maps the raw data to the facts below, in one module run.
  - Every docker read is a C(--format) template the docker CLI evaluates on the host, so only the
    keys the controller maps leave the host, environment entries as names, and a legacy unkeyed
    config hash label masked.
options:
  docker_reads:
    description:
      - The docker CLI reads to run, in order, each as arguments to C(docker.exe); set by the
        action plugin, not by hand.
      - Run only while the C(docker) service runs, with the C(docker.exe) in
        C(%ProgramFiles%\docker), else the one beside the service's C(dockerd.exe).
    type: list
    elements: dict
    default: []
    suboptions:
      argv:
        description: The arguments.
        type: list
        elements: str
        required: true
      ids_from:
        description:
          - The index of an earlier read whose output lines (object IDs) are appended to
            O(docker_reads[].argv), in batches of 100. Without IDs, nothing is run.
        type: int
      stop_unless_ok:
        description: Run no later read when this one exits with a code other than 0.
        type: bool
        default: false
      return_stdout:
        description:
          - Return this read's output; V(false) for a listing only later reads use (its IDs),
            which keeps the result small.
        type: bool
        default: true
  dockerd_version_argv:
    description:
      - The arguments of C(dockerd.exe) that print its version; set by the action plugin.
      - Without them C(dockerd.exe) is not run (without arguments it would start a daemon).
    type: list
    elements: str
    default: []
  property_reads:
    description:
      - The registry keys and CIM classes to read, with the properties of each to return; set by
        the action plugin, not by hand.
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description:
          - The registry key (for C(Get-ItemProperty)) or the CIM class (for C(Get-CimInstance)).
        type: str
        required: true
      cim:
        description: O(property_reads[].source) is a CIM class, every instance of which is read.
        type: bool
        default: false
      properties:
        description: The names of the properties (registry values) to return.
        type: list
        elements: str
        required: true
notes:
  - The engine is looked for in C(%ProgramFiles%\docker) and its configuration in
    C(%ProgramData%\docker\config\daemon.json), where
    M(trustbound.wincontainers.container_engine) puts them.
  - Images, containers and networks are listed only while the engine API answers
    (RV(engine.api_reachable)); otherwise the lists are empty. When the API answers but the
    docker CLI cannot list them, the task fails rather than report empty lists.
  - The C(Containers) and C(Hyper-V) states come from C(Get-WindowsFeature), so the host must be a
    Windows Server.
seealso:
  - module: trustbound.wincontainers.container_engine
  - module: ansible.windows.win_feature
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
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    details: Changes nothing, so there is nothing to diff.
  platform:
    support: full
    platforms: windows
    details: Windows Server 2016 and later.
"""

EXAMPLES = r"""
- name: Read the container host's facts
  trustbound.wincontainers.container_host_info:
  register: host_info

- name: Show the OS build and whether Hyper-V is installed
  ansible.builtin.debug:
    msg: "{{ host_info.os.version }} Hyper-V {{ host_info.features['Hyper-V'] }}"
"""

RETURN = r"""
os:
  description: The Windows version, from C(HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion).
  returned: always
  type: dict
  contains:
    version:
      description: C(major.minor.build.UBR).
      type: str
      sample: 10.0.20348.2340
    build:
      description: C(CurrentBuildNumber).
      type: int
      sample: 20348
    revision:
      description: C(UBR), the monthly patch level.
      type: int
      sample: 2340
    product_name:
      description: C(ProductName).
      type: str
      sample: Windows Server 2022 Datacenter
    edition_id:
      description: C(EditionID).
      type: str
      sample: ServerDatacenter
    installation_type:
      description: C(InstallationType), C(Server Core) or C(Server).
      type: str
      sample: Server Core
machine:
  description: Virtualization capabilities, from C(Win32_ComputerSystem) and C(Win32_Processor).
  returned: always
  type: dict
  contains:
    is_virtual:
      description: Whether the model or manufacturer names a hypervisor (the host is a VM).
      type: bool
    model:
      description: C(Win32_ComputerSystem.Model).
      type: str
      sample: Virtual Machine
    manufacturer:
      description: C(Win32_ComputerSystem.Manufacturer).
      type: str
      sample: Microsoft Corporation
    hypervisor_present:
      description: C(Win32_ComputerSystem.HypervisorPresent).
      type: bool
    virtualization_firmware_enabled:
      description:
        - C(Win32_Processor.VirtualizationFirmwareEnabled).
        - Reads false while a hypervisor runs.
      type: bool
    vm_monitor_mode_extensions:
      description: C(Win32_Processor.VMMonitorModeExtensions) (reads false while a hypervisor runs).
      type: bool
    second_level_address_translation:
      description: C(Win32_Processor.SecondLevelAddressTranslationExtensions).
      type: bool
    memory_mb:
      description: Physical memory in MiB.
      type: int
      sample: 16384
    logical_processors:
      description: Logical processors.
      type: int
    group_processors:
      description:
        - Logical processors of one processor group (at most 64,
          C([Environment]::ProcessorCount)), the processors dockerd counts for C(--cpus).
      type: int
      sample: 4
features:
  description:
    - C(Get-WindowsFeature) InstallState of C(Containers) and C(Hyper-V).
    - C(Unknown) when C(Get-WindowsFeature) is not available (the host is not a Windows Server).
  returned: always
  type: dict
  sample: {"Containers": "Installed", "Hyper-V": "Available"}
host_lock:
  description:
    - The record of the host lock (one writer per host), or null when it is free - C(holder),
      C(since), C(pid) of the run changing the host now, or of one whose process ended before it
      finished; with C(lease_id) and C(lease_until), the lease a patch holds the host with from its
      drain to its restore.
  returned: always
  type: dict
  sample: {"holder": "trustbound.wincontainers.container_updates (patch of ws1)",
           "since": "2026-12-01T14:00:00Z", "pid": 4242,
           "lease_id": "trustbound.wincontainers.container_updates",
           "lease_until": "2026-12-01T18:00:00Z"}
reboot_pending:
  description:
    - Whether a restart is pending (Component Based Servicing C(RebootPending), Windows Update
      C(RebootRequired), or C(PendingFileRenameOperations)).
  returned: always
  type: bool
engine:
  description: The container engine on the host.
  returned: always
  type: dict
  contains:
    kind:
      description: C(docker), or C(none) when no engine is installed.
      type: str
    installed:
      description: Whether C(docker.exe) and C(dockerd.exe) are in RV(engine.install_path).
      type: bool
    version:
      description: The engine version (C(dockerd --version)), V(null) when not installed.
      type: str
      sample: 27.3.1
    service_state:
      description: State of the C(docker) service, C(running), C(stopped) or C(absent).
      type: str
    install_path:
      description: Where the engine binaries are.
      type: str
      sample: C:\Program Files\docker
    daemon_config_path:
      description: Path of C(daemon.json).
      type: str
      sample: C:\ProgramData\docker\config\daemon.json
    daemon_config:
      description: The parsed C(daemon.json), C({}) when absent, V(null) when it cannot be parsed.
      type: dict
    service_binary:
      description:
        - The executable the C(docker) service starts (its C(ImagePath)), V(null) when there is no
          service. An engine installed by Microsoft's C(install-docker-ce.ps1) runs
          C(C:\Windows\System32\dockerd.exe), not the one in RV(engine.install_path).
      type: str
    eventlog_source:
      description:
        - Whether the EventLog source C(docker) is registered
          (C(HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\docker)). Left over
          without a service, it makes C(dockerd --register-service) fail.
      type: bool
    data_root:
      description: The data root, C(data-root) of C(daemon.json) or C(%ProgramData%\docker).
      type: str
      sample: C:\ProgramData\docker
    data_root_sddl:
      description:
        - The data root's access control list as SDDL (C(Get-Acl), access part), V(null) when the
          directory does not exist. dockerd's own is C(D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)) -
          protected, Administrators and SYSTEM only; Windows may store it with the generic rights
          split into effective and inherit-only entries.
        - Anything else (an inherited ACL) may let local users read container configurations,
          environment values included.
      type: str
    api_reachable:
      description:
        - Whether the engine API answers C(docker version) on the default pipe
          C(npipe:////./pipe/docker_engine). V(false) when the service is not running, or runs
          but does not listen there (a C(daemon.json) C(hosts) without C(npipe://)) or is still
          starting. Images and containers are listed only when V(true).
      type: bool
    api_error:
      description: The docker CLI's error when the service runs but the API does not answer.
      type: str
    server_version:
      description: The version of the engine that answers C(docker version), or V(null).
      type: str
      sample: 27.3.1
images:
  description: Every image (C(docker image inspect)); empty when the engine does not run.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Image ID.
      type: str
    repo_tags:
      description: C(RepoTags).
      type: list
      elements: str
    repo_digests:
      description: C(RepoDigests).
      type: list
      elements: str
    os_version:
      description: C(OsVersion), the Windows version the image was built from.
      type: str
      sample: 10.0.20348.2340
    user:
      description: C(Config.User); an empty string means the image default.
      type: str
containers:
  description: Every container (C(docker container inspect)); empty when the engine does not run.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Container ID.
      type: str
    name:
      description: Name, without the leading slash.
      type: str
    image:
      description: C(Config.Image), the reference it was created from.
      type: str
    image_id:
      description: C(Image), the ID of the image it runs.
      type: str
    isolation:
      description:
        - C(process) or C(hyperv).
        - C(HostConfig.Isolation). The engine records its default there when the container is
          created; an empty value or C(default) (left by older engines) is reported as the
          engine's current default, C(docker info)'s C(Isolation).
      type: str
    user:
      description: C(Config.User).
      type: str
    state:
      description: C(State.Status), for example C(created), C(running), C(exited).
      type: str
    running:
      description: C(State.Running).
      type: bool
    labels:
      description:
        - C(Config.Labels).
        - A C(trustbound.wincontainers.config_hash) label of the first format (C(sha256:...), an
          unkeyed hash over secret values) is returned as C(********); current labels (C(v2-...))
          cover no secret value or are keyed, and are returned as they are.
      type: dict
    command:
      description: C(Config.Cmd).
      type: list
      elements: str
    entrypoint:
      description: C(Config.Entrypoint).
      type: list
      elements: str
    env_names:
      description: Names of C(Config.Env) entries; values are never returned.
      type: list
      elements: str
    ports:
      description:
        - Port bindings as C([host_ip:]host_port:container_port/proto), or C(container_port/proto)
          when the engine picks the host port.
      type: list
      elements: str
      sample: ["8080:80/tcp"]
    mounts:
      description:
        - Mounts as C(source:destination[:ro]); a named volume as C(name:destination[:ro]) (docker
          reports its source as the volume's folder under the data root).
      type: list
      elements: str
    networks:
      description: Names of the networks the container is attached to.
      type: list
      elements: str
    network_mode:
      description:
        - C(HostConfig.NetworkMode) as the engine records it, for example C(nat), C(default) or
          C(container:<id>) when the container shares another container's network namespace.
      type: str
    devices:
      description: C(HostConfig.Devices[].PathOnHost), for example C(class/<interface class GUID>).
      type: list
      elements: str
    security_opt:
      description: C(HostConfig.SecurityOpt), for example C(credentialspec=file://app.json).
      type: list
      elements: str
    restart_policy:
      description: C(HostConfig.RestartPolicy), for example C(no), C(always), C(on-failure:3).
      type: str
    memory_bytes:
      description: C(HostConfig.Memory).
      type: int
    cpus:
      description: C(HostConfig.NanoCpus) in CPUs.
      type: float
networks:
  description: Every network (C(docker network inspect)); empty when the engine does not run.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name.
      type: str
      sample: nat
    id:
      description: Network ID.
      type: str
    driver:
      description: Driver, for example C(nat), C(transparent), C(null).
      type: str
    subnets:
      description: C(IPAM.Config[].Subnet).
      type: list
      elements: str
      sample: ["172.20.16.0/20"]
"""
