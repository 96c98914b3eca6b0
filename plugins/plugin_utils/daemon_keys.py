# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The daemon.json keys dockerd on Windows reads, per engine major version.

dockerd refuses to start when daemon.json holds a key that is not one of its
flags (moby ``daemon/config/config.go`` ``findConfigurationConflicts``: "the
following directives don't match any configuration option: ..."). Nested
objects other than ``log-opts``, ``features``, ``builder`` and (24.0+)
``default-network-opts`` are flattened first (``configValuesSet``), so
``proxies`` is checked as ``http-proxy``/``https-proxy``/``no-proxy``.

Each table lists the keys that are both a dockerd flag (or named option) on
Windows and a field dockerd decodes, read at one moby tag from
``cmd/dockerd/config.go``, ``config_windows.go``, ``options.go`` and
``daemon/config/config.go`` (files named ``*_unix.go`` are not built for
Windows). Keys a flag accepts but no field reads (``label``, ``exec-opt``,
top-level ``http-proxy`` from 23.0) are left out: dockerd ignores them, so
a setting would silently not apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# moby v20.10.24: cmd/dockerd/config.go (storage-driver is common here),
# config_windows.go (bridge, fixed-cidr, group), options.go (debug, tls*,
# hosts, log-level), daemon/config/config.go (skipValidateOptions: features,
# builder).
_V20 = frozenset(
    {
        "allow-nondistributable-artifacts",
        "api-cors-header",
        "authorization-plugins",
        "bridge",
        "builder",
        "cluster-advertise",
        "cluster-store",
        "cluster-store-opts",
        "containerd",
        "containerd-namespace",
        "cri-containerd",
        "data-root",
        "debug",
        "dns",
        "dns-opts",
        "dns-search",
        "exec-opts",
        "exec-root",
        "experimental",
        "features",
        "fixed-cidr",
        "graph",
        "group",
        "host-gateway-ip",
        "hosts",
        "insecure-registries",
        "labels",
        "log-driver",
        "log-level",
        "log-opts",
        "max-concurrent-downloads",
        "max-concurrent-uploads",
        "max-download-attempts",
        "metrics-addr",
        "mtu",
        "network-control-plane-mtu",
        "network-diagnostic-port",
        "node-generic-resources",
        "pidfile",
        "raw-logs",
        "registry-mirrors",
        "shutdown-timeout",
        "storage-driver",
        "storage-opts",
        "swarm-default-advertise-addr",
        "tls",
        "tlscacert",
        "tlscert",
        "tlskey",
        "tlsverify",
    }
)
# moby v23.0.17: --http-proxy/--https-proxy/--no-proxy flags, read from the
# nested "proxies" object (daemon/config/config.go ProxyConfig);
# default-runtime added; storage-driver moved to config_unix.go.
_V23 = (_V20 | {"default-runtime", "proxies"}) - {"storage-driver"}
# moby v24.0.9: default-network-opts added (a flat option); the cluster-store
# options and graph removed.
_V24 = (_V23 | {"default-network-opts"}) - {
    "cluster-advertise",
    "cluster-store",
    "cluster-store-opts",
    "graph",
}
# moby v25.0.5: log-format (options.go) and cdi-spec-dirs added.
_V25 = _V24 | {"log-format", "cdi-spec-dirs"}
# moby v26.1.5 and v27.3.1: the same set as 25.0.
_V26 = _V25
_V27 = _V25
# moby v28.5.2: host-gateway-ips added; allow-nondistributable-artifacts is
# deprecated and ignored (skipValidateOptions, no field reads it).
_V28 = (_V27 | {"host-gateway-ips"}) - {"allow-nondistributable-artifacts"}

# major -> (moby tag the table was read at, keys)
TABLES: dict[int, tuple[str, frozenset[str]]] = {
    20: ("v20.10.24", _V20),
    23: ("v23.0.17", _V23),
    24: ("v24.0.9", _V24),
    25: ("v25.0.5", _V25),
    26: ("v26.1.5", _V26),
    27: ("v27.3.1", _V27),
    28: ("v28.5.2", _V28),
}
NEWEST = max(TABLES)
ALL_KEYS = frozenset().union(*(keys for _tag, keys in TABLES.values()))
# The keys "proxies" holds (moby daemon/config/config.go ProxyConfig).
PROXY_KEYS = frozenset({"http-proxy", "https-proxy", "no-proxy"})

# Keys people put in daemon.json that no dockerd reads, with the fix.
HINTS = {
    "default-stop-timeout": "no dockerd has this option; the stop timeout is per container "
    "(docker stop -t, the workload's stop_timeout)",
    "http-proxy": "dockerd reads it only nested: proxies: {http-proxy: ...} (engine 23.0+)",
    "https-proxy": "dockerd reads it only nested: proxies: {https-proxy: ...} (engine 23.0+)",
    "no-proxy": "dockerd reads it only nested: proxies: {no-proxy: ...} (engine 23.0+)",
    "containerd-plugin-namespace": "dockerd's flag is containerd-plugins-namespace, so it "
    "refuses this field name in daemon.json",
    "default-address-pools": "a Linux-only option (cmd/dockerd/config_unix.go)",
}


def major(version: str) -> int:
    """``"27.3.1"`` -> 27."""
    return int(str(version).strip().lstrip("v").split(".", 1)[0])


def table(version: str) -> tuple[str, frozenset[str], bool]:
    """``(moby tag, keys, exact)`` for an engine version.

    ``exact`` is False for a major newer than the newest table: its keys are
    then checked against the newest table, which the caller reports.
    """
    wanted = major(version)
    if wanted in TABLES:
        tag, keys = TABLES[wanted]
        return tag, keys, True
    older = [m for m in TABLES if m <= wanted]
    tag, keys = TABLES[max(older) if older else min(TABLES)]
    return tag, keys, False


def unknown_keys(config: Mapping[str, Any], version: str) -> list[str]:
    """The keys of ``config`` dockerd ``version`` on Windows does not read, sorted.

    ``proxies`` is checked too: it holds only http-proxy, https-proxy and
    no-proxy (anything else is flattened by dockerd and refused).
    """
    _tag, keys, _exact = table(version)
    unknown = {str(k) for k in config if k not in keys}
    proxies = config.get("proxies")
    if "proxies" in keys and isinstance(proxies, Mapping):
        unknown |= {f"proxies.{k}" for k in proxies if k not in PROXY_KEYS}
    return sorted(unknown)


def explain(key: str, version: str) -> str:
    """Why ``key`` is refused for ``version``: a hint, or the versions that do read it."""
    if key in HINTS:
        return HINTS[key]
    readers = [str(m) for m, (_tag, keys) in sorted(TABLES.items()) if key in keys]
    if readers:
        return f"engine majors that read it: {', '.join(readers)}"
    return "no dockerd on Windows reads it (a typo, or a Linux-only option)"
