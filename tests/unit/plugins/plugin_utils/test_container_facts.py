"""container_facts: a container's docker inspect JSON -> the container_host_info facts entry."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_facts as cf

INSPECT = {
    "Id": "c" * 64,
    "Name": "/web",
    "Image": "sha256:" + "a" * 64,
    "State": {"Status": "running", "Running": True},
    "Config": {
        "Image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
        "User": "ContainerUser",
        "Env": ["TOKEN=s3cr3t", "MODE=prod"],
        "Cmd": ["ping", "-t", "localhost"],
        "Entrypoint": None,
        "Labels": {"trustbound.wincontainers.config_hash": "sha256:" + "d" * 64, "Tier": "web"},
    },
    "HostConfig": {
        "Isolation": "",
        "NetworkMode": "nat",
        "PortBindings": {
            "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
            "443/tcp": [{"HostIp": "10.0.0.5", "HostPort": "8443"}],
            "9000/udp": [{"HostIp": "", "HostPort": ""}],
        },
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "Memory": 536870912,
        "NanoCpus": 1500000000,
        "StorageOpt": {"Size": "50GB"},
        "Devices": [{"PathOnHost": "class/5B45201D-F2F2-4F3B-85BB-30FF1F953599"}],
        "SecurityOpt": ["credentialspec=file://web.json"],
    },
    "Mounts": [
        {"Type": "bind", "Source": "C:\\data", "Destination": "C:\\app", "RW": False},
        {
            # docker rebuilds a named volume's Source as its folder under the data root
            "Type": "volume",
            "Name": "logs",
            "Source": "C:\\ProgramData\\docker\\volumes\\logs\\_data",
            "Destination": "C:\\logs",
            "RW": True,
        },
    ],
    "NetworkSettings": {"Networks": {"nat": {}, "backend": {}}},
}


def test_every_field_is_mapped_from_docker_s_own_json():
    fact = cf.container_fact(INSPECT, "hyperv")
    assert fact == {
        "id": "c" * 64,
        "name": "web",
        "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
        "image_id": "sha256:" + "a" * 64,
        "isolation": "hyperv",  # "" means the daemon's default
        "user": "ContainerUser",
        "state": "running",
        "running": True,
        "labels": {"trustbound.wincontainers.config_hash": "********", "Tier": "web"},
        "command": ["ping", "-t", "localhost"],
        "entrypoint": [],
        "env_names": ["TOKEN", "MODE"],
        "ports": ["8080:80/tcp", "10.0.0.5:8443:443/tcp", "9000/udp"],
        "mounts": ["C:\\data:C:\\app:ro", "logs:C:\\logs"],
        "networks": ["nat", "backend"],
        "network_mode": "nat",
        "devices": ["class/5B45201D-F2F2-4F3B-85BB-30FF1F953599"],
        "security_opt": ["credentialspec=file://web.json"],
        "restart_policy": "on-failure:3",
        "memory_bytes": 536870912,
        "cpus": 1.5,
        "storage_size": "50GB",
    }
    assert "s3cr3t" not in repr(fact)


def test_a_keyed_config_hash_is_shown_and_sparse_json_gives_empty_values():
    label = {"trustbound.wincontainers.config_hash": "v2-hmac-sha256:" + "e" * 64}
    fact = cf.container_fact(
        {
            "Id": "x",
            "Name": "/a",
            "Config": {"Labels": label},
            "HostConfig": {"Isolation": "process"},
        },
        "hyperv",
    )
    assert fact["labels"] == label and fact["isolation"] == "process"
    assert fact["restart_policy"] == "no" and fact["ports"] == [] and fact["mounts"] == []
    assert fact["cpus"] == 0 and fact["memory_bytes"] == 0 and fact["networks"] == []


def test_ipv6_host_addresses_are_bracketed_and_the_create_network_comes_first():
    fact = cf.container_fact(
        {
            "Id": "c1",
            "Name": "/web",
            "HostConfig": {
                "NetworkMode": "nat",
                "PortBindings": {"80/tcp": [{"HostIp": "::", "HostPort": "8080"}]},
            },
            "NetworkSettings": {"Networks": {"backend": {}, "nat": {}}},
        },
        "process",
    )
    assert fact["ports"] == ["[::]:8080:80/tcp"]
    assert fact["networks"] == ["nat", "backend"]
