"""host_read: container_host_info's raw read -> the facts contract (issue 18)."""

from __future__ import annotations

import base64
import json

import pytest
from audit_builders import HOSTVARS

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_rules,
    host_read,
)

DATA_ROOT = "C:\\ProgramData\\docker"
HASH = "trustbound.wincontainers.config_hash"


def run(stdout="", rc=0, stderr=""):
    return {"rc": rc, "stdout": stdout, "stderr": stderr}


def lines(*objects):
    return "".join(json.dumps(o) + "\n" for o in objects)


def container(name="web", mounts=(), **config):
    return {
        "Id": f"id-{name}",
        "Name": f"/{name}",
        "Image": "sha256:abc",
        "Config": {
            "Image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
            "User": "",
            "Cmd": None,
            "Entrypoint": None,
            "Env": ["API_TOKEN", "MODE"],
            "Labels": {},
            **config,
        },
        "State": {"Status": "running", "Running": True},
        "HostConfig": {
            "Isolation": "process",
            "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
            "NetworkMode": "nat",
            "Devices": None,
            "SecurityOpt": None,
            "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
            "Memory": 536870912,
            "NanoCpus": 1500000000,
        },
        "Mounts": list(mounts),
        "NetworkSettings": {"Networks": {"nat": {}}},
    }


def raw(docker=None, **overrides):
    read = {
        "os_registry": {
            "CurrentMajorVersionNumber": 10,
            "CurrentMinorVersionNumber": 0,
            "CurrentBuildNumber": "20348",
            "UBR": 2340,
            "ProductName": "Windows Server 2022 Datacenter",
            "EditionID": "ServerDatacenter",
            "InstallationType": "Server Core",
        },
        "computer_system": {
            "Model": "Virtual Machine",
            "Manufacturer": "Microsoft Corporation",
            "HypervisorPresent": True,
            "TotalPhysicalMemory": 17179332608,
            "NumberOfLogicalProcessors": 4,
        },
        "processors": [
            {
                "VirtualizationFirmwareEnabled": False,
                "VMMonitorModeExtensions": False,
                "SecondLevelAddressTranslationExtensions": False,
            }
        ],
        "processor_count": 4,
        "features": {"Containers": "Installed", "Hyper-V": "Available"},
        "reboot_signals": {
            "component_based_servicing": False,
            "windows_update": False,
            "pending_file_rename": False,
        },
        "host_lock": None,
        "engine": {
            "install_path": "C:\\Program Files\\docker",
            "daemon_config_path": "C:\\ProgramData\\docker\\config\\daemon.json",
            "docker_exe": True,
            "dockerd_exe": True,
            "dockerd_version": run("Docker version 27.3.1, build 41ca978\n"),
            "service_status": "Running",
            "service_image_path": '"C:\\Program Files\\docker\\dockerd.exe" --run-service',
            "docker_cli": "C:\\Program Files\\docker\\docker.exe",
            "eventlog_source": True,
            "daemon_json_base64": base64.b64encode(b'{"hosts": ["npipe://"]}').decode(),
            "data_root": DATA_ROOT,
            "data_root_sddl": "D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)",
        },
        "docker": docker if docker is not None else docker_runs(),
    }
    read.update(overrides)
    # The host answers property_reads by source (host_read.PROPERTY_READS).
    read["property_values"] = {
        host_read.CURRENT_VERSION: [read.pop("os_registry")],
        host_read.COMPUTER_SYSTEM: [read.pop("computer_system")],
        host_read.PROCESSOR: read.pop("processors"),
    }
    return read


def docker_runs(containers=None, images=None, networks=None, isolation="process"):
    containers = [container()] if containers is None else containers
    images = images if images is not None else []
    networks = networks if networks is not None else []
    return [
        run('"27.3.1"\n'),
        run(json.dumps(isolation) + "\n"),
        run("".join(c["Id"] + "\n" for c in containers)),
        run(lines(*containers)),
        run("".join(i["Id"] + "\n" for i in images)),
        run(lines(*images)),
        run("".join(n["Id"] + "\n" for n in networks)),
        run(lines(*networks)),
    ]


def test_windows_parts_map_to_the_contract():
    facts = host_read.facts(raw())
    assert facts["os"] == {
        "version": "10.0.20348.2340",
        "build": 20348,
        "revision": 2340,
        "product_name": "Windows Server 2022 Datacenter",
        "edition_id": "ServerDatacenter",
        "installation_type": "Server Core",
    }
    machine = facts["machine"]
    assert (
        machine["is_virtual"] is True and machine["memory_mb"] == 16383
    )  # 16383.49 MiB: rounded as [int64]
    assert machine["virtualization_firmware_enabled"] is False
    assert facts["features"] == {"Containers": "Installed", "Hyper-V": "Available"}
    assert facts["reboot_pending"] is False and facts["host_lock"] is None
    engine = facts["engine"]
    assert engine["kind"] == "docker" and engine["installed"] is True
    assert engine["version"] == "27.3.1" and engine["service_state"] == "running"
    assert engine["service_binary"] == "C:\\Program Files\\docker\\dockerd.exe"
    assert engine["daemon_config"] == {"hosts": ["npipe://"]}
    assert engine["api_reachable"] is True and engine["server_version"] == "27.3.1"


def test_a_processor_without_the_flag_clears_it_and_a_physical_model_is_not_virtual():
    read = raw(
        processors=[
            {
                "VirtualizationFirmwareEnabled": True,
                "VMMonitorModeExtensions": True,
                "SecondLevelAddressTranslationExtensions": True,
            },
            {
                "VirtualizationFirmwareEnabled": True,
                "VMMonitorModeExtensions": False,
                "SecondLevelAddressTranslationExtensions": True,
            },
        ],
        computer_system={"Model": "PowerEdge R650", "Manufacturer": "Dell Inc."},
    )
    machine = host_read.facts(read)["machine"]
    assert machine["is_virtual"] is False
    assert machine["virtualization_firmware_enabled"] is True
    assert machine["vm_monitor_mode_extensions"] is False


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, {}),
        (b'{"data-root": "D:\\\\docker"}', {"data-root": "D:\\docker"}),
        (b'\xef\xbb\xbf{"hosts": []}', None),  # a byte order mark: dockerd 20.10 refuses it
        (b"{not json", None),
        (b"[1, 2]", None),
    ],
)
def test_daemon_json_bytes(data, expected):
    encoded = None if data is None else base64.b64encode(data).decode()
    assert host_read.daemon_config(encoded) == expected


def test_feature_states_unknown_without_get_windowsfeature_and_reboot_signals():
    facts = host_read.facts(raw(features=None, reboot_signals={"pending_file_rename": True}))
    assert facts["features"] == {"Containers": "Unknown", "Hyper-V": "Unknown"}
    assert facts["reboot_pending"] is True


@pytest.mark.parametrize(
    ("lock", "expected"),
    [
        (None, None),
        ({}, None),
        ({"holder": "x", "pid": 4}, {"holder": "x", "pid": 4}),
        ({"holder": "(unreadable lock record)"}, {"holder": "(unreadable lock record)"}),
        ([1, 2], {"holder": "(unreadable lock record)"}),
        ("text", {"holder": "(unreadable lock record)"}),
    ],
)
def test_host_lock_record(lock, expected):
    assert host_read.host_lock_fact(lock) == expected


def test_service_binary_of_an_image_path():
    assert host_read.service_binary("C:\\Windows\\System32\\dockerd.exe --run-service") == (
        "C:\\Windows\\System32\\dockerd.exe"
    )
    assert host_read.service_binary('"C:\\Program Files\\docker\\dockerd.exe" -H x') == (
        "C:\\Program Files\\docker\\dockerd.exe"
    )
    assert host_read.service_binary(None) is None


def test_api_that_does_not_answer_is_a_fact_and_nothing_else_is_listed():
    error = "error during connect: open //./pipe/docker_engine: file not found"
    facts = host_read.facts(raw(docker=[run("", rc=1, stderr=error + "\n")]))
    assert facts["engine"]["api_reachable"] is False
    assert facts["engine"]["api_error"] == error
    assert facts["containers"] == [] and facts["images"] == [] and facts["networks"] == []


def test_containers_images_and_networks():
    image = {
        "Id": "sha256:abc",
        "RepoTags": ["nano:1"],
        "RepoDigests": None,
        "OsVersion": "10.0.20348.2340",
        "Config": {"User": "ContainerUser"},
    }
    network = {
        "Id": "n1",
        "Name": "tenant-a",
        "Driver": "nat",
        "IPAM": {"Config": [{"Subnet": "172.20.0.0/24", "Gateway": "172.20.0.1"}]},
    }
    labelled = container("api", Labels={HASH: "sha256:deadbeef"})
    facts = host_read.facts(
        raw(docker=docker_runs([container(), labelled], [image], [network], "hyperv"))
    )
    web, api = facts["containers"]
    assert web["env_names"] == ["API_TOKEN", "MODE"] and web["ports"] == ["8080:80/tcp"]
    assert web["cpus"] == 1.5 and web["restart_policy"] == "always"
    assert api["labels"][HASH] == "********"  # masked again on the controller
    assert facts["images"] == [
        {
            "id": "sha256:abc",
            "repo_tags": ["nano:1"],
            "repo_digests": [],
            "os_version": "10.0.20348.2340",
            "user": "ContainerUser",
        }
    ]
    assert facts["networks"] == [
        {"name": "tenant-a", "id": "n1", "driver": "nat", "subnets": ["172.20.0.0/24"]}
    ]


def test_an_empty_isolation_is_the_engine_default():
    old = container()
    old["HostConfig"]["Isolation"] = ""
    facts = host_read.facts(raw(docker=docker_runs([old], isolation="hyperv")))
    assert facts["containers"][0]["isolation"] == "hyperv"


def test_a_container_removed_since_the_listing_is_gone_but_a_failed_inspect_fails():
    runs = docker_runs([container()])
    runs[host_read.CONTAINERS]["rc"] = 1  # one id of the batch is gone: the rest printed
    assert len(host_read.facts(raw(docker=runs))["containers"]) == 1
    runs[host_read.CONTAINERS] = run("", rc=1, stderr="boom")
    with pytest.raises(host_read.HostReadError, match="docker container inspect failed"):
        host_read.facts(raw(docker=runs))


def test_a_failed_listing_fails_the_read_with_the_cli_s_message():
    runs = docker_runs()
    runs[host_read.IMAGE_IDS] = run("", rc=1, stderr="Error response from daemon: boom\n")
    result = host_read.read(lambda args: {"changed": False, **raw(docker=runs)})
    assert result["failed"] is True
    assert "docker image ls failed (rc 1)" in result["msg"] and "boom" in result["msg"]


def test_read_runs_the_module_once_with_the_rendered_reads_and_passes_a_failure_through():
    calls = []

    def execute(args):
        calls.append(args)
        return {"changed": False, "invocation": {"module_args": args}, **raw()}

    result = host_read.read(execute)
    assert len(calls) == 1 and calls[0] == host_read.module_args()
    assert "invocation" not in result and "docker" not in result
    assert result["changed"] is False and result["os"]["build"] == 20348
    failed = {"failed": True, "msg": "unreachable"}
    assert host_read.read(lambda args: failed) is failed


def test_the_reads_keep_values_and_secrets_on_the_host():
    """Environment values never leave the host (names only, split on the host); an unkeyed
    config hash is masked there; no docker flag is left for the host to add."""
    argv = {tuple(r["argv"][:2]): r["argv"] for r in host_read.module_args()["docker_reads"]}
    template = argv[("container", "inspect")][2]
    assert template.startswith("--format=") and "{{json .Config.Env}}" not in template
    assert '(split . "=")' in template and '"v2-"' in template and "********" in template
    assert all(
        r["argv"][0] in ("version", "info", "container", "image", "network")
        for r in host_read.module_args()["docker_reads"]
    )


def _audit(mounts):
    facts = host_read.facts(raw(docker=docker_runs([container("app", mounts=mounts)])))
    audit = audit_rules.audit_host(facts, HOSTVARS, "ws2022")
    return facts, {f.id for f in audit.findings if f.container == "app"}


def test_a_named_volume_is_reported_by_name_and_raises_no_data_root_finding():
    # docker reports a named volume's Source as its folder under the data root
    # (moby volume/local/local.go: <root>\volumes\<name>\_data).
    volume = {
        "Type": "volume",
        "Name": "appdata",
        "RW": True,
        "Destination": "C:\\data",
        "Source": f"{DATA_ROOT}\\volumes\\appdata\\_data",
    }
    facts, ids = _audit([volume])
    assert facts["containers"][0]["mounts"] == ["appdata:C:\\data"]
    assert "WC-HOLE-DATA-ROOT" not in ids


def test_a_bind_of_the_data_root_still_raises_the_finding():
    bind = {
        "Type": "bind",
        "Name": None,
        "RW": False,
        "Destination": "C:\\d",
        "Source": f"{DATA_ROOT}\\volumes",
    }
    facts, ids = _audit([bind])
    assert facts["containers"][0]["mounts"] == [f"{DATA_ROOT}\\volumes:C:\\d:ro"]
    assert "WC-HOLE-DATA-ROOT" in ids


def test_module_args_name_the_property_reads_the_mapping_uses():
    reads = {r["source"]: r for r in host_read.module_args()["property_reads"]}
    assert reads[host_read.CURRENT_VERSION]["cim"] is False
    assert "UBR" in reads[host_read.CURRENT_VERSION]["properties"]
    assert reads[host_read.PROCESSOR]["cim"] and reads[host_read.COMPUTER_SYSTEM]["cim"]
    assert "TotalPhysicalMemory" in reads[host_read.COMPUTER_SYSTEM]["properties"]


def test_a_source_the_host_did_not_return_maps_to_empty_values():
    read = raw()
    del read["property_values"][host_read.COMPUTER_SYSTEM]
    machine = host_read.facts(read)["machine"]
    assert machine["model"] == "" and machine["memory_mb"] == 0
    assert host_read.facts(read)["os"]["build"] == 20348
