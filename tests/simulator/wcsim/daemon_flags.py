"""How dockerd on Windows checks daemon.json keys, per engine major version.

moby ``daemon/config/config.go``: ``getConflictFreeConfiguration`` flattens
every nested object except the ``flatOptions`` (``configValuesSet``), then
``findConfigurationConflicts`` refuses each key that is neither a flag name
nor a named option's name (``opts.NamedOption``) nor in
``skipValidateOptions``, with "the following directives don't match any
configuration option: <keys>" (Go map order, so the simulator sorts them).
A key that passes is not necessarily read (``label``, a top-level
``http-proxy`` on 23.0+): dockerd starts and ignores it.

The names below are every flag and named option that
``cmd/dockerd/{config,config_windows,options,docker,service_windows}.go``
register at the tag named (files ``*_unix.go`` are not built for Windows).
"""

from __future__ import annotations

from typing import Any

# moby v20.10.24
_V20 = frozenset(
    [
        "allow-nondistributable-artifacts",
        "api-cors-header",
        "authorization-plugin",
        "authorization-plugins",
        "bridge",
        "cluster-advertise",
        "cluster-store",
        "cluster-store-opt",
        "cluster-store-opts",
        "config-file",
        "containerd",
        "containerd-namespace",
        "containerd-plugins-namespace",
        "cri-containerd",
        "data-root",
        "debug",
        "dns",
        "dns-opt",
        "dns-opts",
        "dns-search",
        "exec-opt",
        "exec-opts",
        "exec-root",
        "experimental",
        "fixed-cidr",
        "graph",
        "group",
        "host",
        "host-gateway-ip",
        "hosts",
        "identity",
        "insecure-registries",
        "insecure-registry",
        "label",
        "labels",
        "log-driver",
        "log-level",
        "log-opt",
        "log-opts",
        "max-concurrent-downloads",
        "max-concurrent-uploads",
        "max-download-attempts",
        "metrics-addr",
        "mtu",
        "network-control-plane-mtu",
        "network-diagnostic-port",
        "node-generic-resource",
        "node-generic-resources",
        "pidfile",
        "raw-logs",
        "register-service",
        "registry-mirror",
        "registry-mirrors",
        "restart",
        "run-service",
        "service-name",
        "shutdown-timeout",
        "storage-driver",
        "storage-opt",
        "storage-opts",
        "swarm-default-advertise-addr",
        "tls",
        "tlscacert",
        "tlscert",
        "tlskey",
        "tlsverify",
        "unregister-service",
        "version",
    ]
)
# moby v23.0.17: proxy flags, default-runtime, --validate; storage-driver
# moved to config_unix.go, identity removed.
_V23 = (_V20 | {"default-runtime", "http-proxy", "https-proxy", "no-proxy", "validate"}) - {
    "identity",
    "storage-driver",
}
# moby v24.0.9
_V24 = (_V23 | {"default-network-opt", "default-network-opts"}) - {
    "cluster-advertise",
    "cluster-store",
    "cluster-store-opt",
    "cluster-store-opts",
    "graph",
}
# moby v25.0.5 (and v26.1.5: no change)
_V25 = _V24 | {"cdi-spec-dir", "cdi-spec-dirs", "log-format"}
# moby v27.3.1: --feature
_V27 = _V25 | {"feature", "features"}
# moby v28.5.2
_V28 = _V27 | {"host-gateway-ips"}

FLAGS: dict[int, frozenset[str]] = {
    20: _V20,
    23: _V23,
    24: _V24,
    25: _V25,
    26: _V25,
    27: _V27,
    28: _V28,
}
# skipValidateOptions (v28.5.2 adds allow-nondistributable-artifacts, a flag anyway).
SKIP_VALIDATE = frozenset({"features", "builder", "deprecated-key-path"})
_FLAT_V20 = frozenset(
    {"cluster-store-opts", "log-opts", "runtimes", "default-ulimits", "features", "builder"}
)
_FLAT_V24 = _FLAT_V20 | {"default-network-opts"}


def _major_table(major: int) -> tuple[frozenset[str], frozenset[str]]:
    known = [m for m in FLAGS if m <= major] or [min(FLAGS)]
    chosen = max(known)
    return FLAGS[chosen], (_FLAT_V24 if chosen >= 24 else _FLAT_V20)


def unknown_directives(config: dict[str, Any], major: int) -> list[str]:
    """The keys dockerd ``major`` refuses in ``config`` (flattened as moby does), sorted."""
    flags, flat = _major_table(major)
    flattened: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and key not in flat:
            flattened.update(value)
        else:
            flattened[key] = value
    return sorted(k for k in flattened if k not in flags and k not in SKIP_VALIDATE)
