# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds and validates the Docker engine's ``daemon.json`` (engine hardening).

The role's variables go through ``build()``; whatever reaches the host (built
or given directly to ``container_engine``) goes through ``validate()``. The
host only ever writes the canonical JSON produced by ``canonical()``, and the
engine restarts only when that text differs from what is there.

Rules (see docs/container_host.md, "Hardening"):

- ``unknown_key``: only keys dockerd on Windows reads at the engine version
  being installed (``daemon_keys``: one table per major version, read from
  moby at a tag); dockerd refuses to start on a key it does not know, and a
  key it accepts but does not read would silently drop a setting.
- ``default_pipe``: ``hosts`` keeps the default pipe (``npipe://``): the
  modules run ``docker.exe`` without ``-H``, so without it no later run could
  read or repair the host.
- ``listener``: named pipe (``npipe://``) by default. ``tcp://`` only with
  ``tlsverify: true`` and ``tlscacert``/``tlscert``/``tlskey``: the engine
  API is root on the host, a plain TCP listener is unauthenticated remote
  root. ``unix://``/``fd://`` are not Windows listeners.
- ``insecure_registry``: ``insecure-registries`` lets a network attacker swap
  images (no TLS, no certificate check).
- ``log_limits``: json-file logs need ``max-size`` and ``max-file``, or one
  chatty container fills the system disk.
- ``exec_opts``: only ``isolation=process|hyperv``; a host that runs other
  tenants' workloads must default to ``isolation=hyperv`` so a container
  started by hand still gets a Hyper-V boundary.
- ``group`` is allowed but only when asked: it grants admin-equivalent access
  to the engine to that group.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import daemon_keys
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal

DAEMON_CONFIG_PATH = r"C:\ProgramData\docker\config\daemon.json"
NAMED_PIPE = "npipe://"
# moby opts/hosts.go: DefaultNamedPipe; "npipe://" with no address means it.
DEFAULT_PIPE = "//./pipe/docker_engine"

# Set by the role from its own variables: extra_config may not override them,
# so each one has exactly one documented variable.
MANAGED_KEYS = frozenset(
    {
        "hosts",
        "tls",
        "tlsverify",
        "tlscacert",
        "tlscert",
        "tlskey",
        "group",
        "log-driver",
        "log-opts",
        "exec-opts",
    }
)
ISOLATIONS = ("process", "hyperv")
_SIZE = re.compile(r"^[1-9][0-9]*[kmg]$")


class DaemonConfigError(Refusal):
    """A daemon.json that must not reach the host."""


def _fail(host: str | None, rule: str, fieldname: str, text: str) -> DaemonConfigError:
    return DaemonConfigError.of(host, rule, fieldname, "daemon.json", text)


def canonical(config: Mapping[str, Any] | None) -> str:
    """The one text form written to the host and compared for changes."""
    return json.dumps(config or {}, sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def differs(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    return canonical(current) != canonical(desired)


def default_isolation(config: Mapping[str, Any]) -> str | None:
    """``process``/``hyperv`` from ``exec-opts``, None when the engine default applies."""
    for opt in config.get("exec-opts") or []:
        key, _sep, value = str(opt).partition("=")
        if key.strip() == "isolation":
            return value.strip().lower()
    return None


def build(
    settings: Mapping[str, Any], *, host: str | None, multi_tenant: bool, engine_version: str
) -> dict:
    """daemon.json from the role's variables (already reduced to one mapping).

    ``settings``: ``hosts`` (list), ``tls`` (``{cacert, cert, key}``),
    ``group``, ``log_max_size``, ``log_max_file``, ``default_isolation``
    (``auto``/``process``/``hyperv``), ``extra`` (more keys).
    The result is validated (for ``engine_version``) before it is returned.
    """
    extra = dict(settings.get("extra") or {})
    overridden = sorted(MANAGED_KEYS & set(extra))
    if overridden:
        raise _fail(
            host,
            "managed_key",
            "extra",
            f"{', '.join(overridden)} set in container_host_daemon_extra_config; these keys "
            "have their own role variables (see docs/container_host.md)",
        )
    config: dict[str, Any] = dict(extra)

    hosts = list(settings.get("hosts") or [NAMED_PIPE])
    config["hosts"] = hosts
    tls = settings.get("tls") or {}
    if tls:
        config.update(
            {
                "tlsverify": True,
                "tlscacert": tls.get("cacert", ""),
                "tlscert": tls.get("cert", ""),
                "tlskey": tls.get("key", ""),
            }
        )
    if settings.get("group"):
        config["group"] = str(settings["group"])

    config["log-driver"] = "json-file"
    # None only: 0 is a value, refused below (it would keep no log file), not the default.
    max_size = settings.get("log_max_size")
    max_file = settings.get("log_max_file")
    config["log-opts"] = {
        "max-size": str("10m" if max_size is None or max_size == "" else max_size),
        "max-file": str(3 if max_file is None or max_file == "" else max_file),
    }

    wanted = str(settings.get("default_isolation") or "auto")
    if wanted not in ("auto", *ISOLATIONS):
        raise _fail(
            host,
            "exec_opts",
            "default_isolation",
            f"{wanted!r} is not one of auto, process, hyperv",
        )
    if wanted == "auto":
        wanted = "hyperv" if multi_tenant else ""
    if wanted:
        config["exec-opts"] = [f"isolation={wanted}"]

    validate(config, host=host, multi_tenant=multi_tenant, engine_version=engine_version)
    return config


def _is_default_pipe(entry: str) -> bool:
    scheme, sep, address = entry.partition("://")
    return bool(sep) and scheme.lower() == "npipe" and address.lower() in ("", DEFAULT_PIPE)


def _validate_listeners(config: Mapping[str, Any], host: str | None) -> None:
    hosts = config.get("hosts", [NAMED_PIPE])
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise _fail(host, "listener", "hosts", "hosts must be a list of strings")
    tcp = [h for h in hosts if h.lower().startswith("tcp://")]
    for entry in hosts:
        scheme = entry.split("://", 1)[0].lower() if "://" in entry else ""
        if scheme not in ("npipe", "tcp"):
            raise _fail(
                host,
                "listener",
                "hosts",
                f"{entry!r} is not a Windows engine listener; use npipe:// (default) or "
                "tcp:// with TLS client verification",
            )
    if tcp:
        _validate_tcp(config, host, tcp)
    if not any(_is_default_pipe(h) for h in hosts):
        raise _fail(
            host,
            "default_pipe",
            "hosts",
            f"{hosts!r} does not listen on the default pipe {NAMED_PIPE} "
            f"(npipe://{DEFAULT_PIPE}): the collection's modules and the docker CLI reach the "
            "engine only there, so after a restart no later run could read or repair this host. "
            "Keep npipe:// in container_host_daemon_hosts",
        )


def _validate_tcp(config: Mapping[str, Any], host: str | None, tcp: list[str]) -> None:
    missing = [k for k in ("tlscacert", "tlscert", "tlskey") if not config.get(k)]
    if config.get("tlsverify") is not True or missing:
        why = "tlsverify is not true" if config.get("tlsverify") is not True else ""
        if missing:
            why = (why + "; " if why else "") + "missing " + ", ".join(missing)
        raise _fail(
            host,
            "listener",
            "hosts",
            f"{', '.join(tcp)} without TLS client verification ({why}): the engine API "
            "is root on the host, so a plain TCP listener is an unauthenticated remote "
            "root for anyone who reaches the port. Keep npipe:// or set "
            "container_host_daemon_tls (cacert, cert, key)",
        )


def _validate_keys(config: Mapping[str, Any], host: str | None, engine_version: str) -> None:
    unknown = daemon_keys.unknown_keys(config, engine_version)
    if not unknown:
        return
    tag, _keys, exact = daemon_keys.table(engine_version)
    source = f"moby {tag} daemon/config" if exact else f"the newest table, moby {tag}"
    reasons = "; ".join(f"{key}: {daemon_keys.explain(key, engine_version)}" for key in unknown)
    raise _fail(
        host,
        "unknown_key",
        unknown[0],
        f"{', '.join(unknown)} not read by dockerd {engine_version} on Windows ({source}); "
        f"dockerd refuses to start on keys it does not know or ignores them ({reasons})",
    )


def validate(
    config: Mapping[str, Any],
    *,
    host: str | None,
    engine_version: str,
    multi_tenant: bool = False,
) -> None:
    """Raise DaemonConfigError for the first rule the config breaks.

    ``engine_version`` is the engine the config is for (the pin being installed).
    """
    if not isinstance(config, Mapping):
        raise _fail(host, "unknown_key", "daemon_config", "daemon.json must be a JSON object")
    _validate_keys(config, host, engine_version)

    proxies = config.get("proxies")
    if proxies is not None and (
        not isinstance(proxies, Mapping) or not all(isinstance(v, str) for v in proxies.values())
    ):
        raise _fail(
            host,
            "proxies",
            "proxies",
            "proxies must be an object of http-proxy, https-proxy and no-proxy strings",
        )
    _validate_listeners(config, host)
    if config.get("tls") is True and config.get("tlsverify") is not True:
        raise _fail(
            host,
            "listener",
            "tls",
            "tls without tlsverify encrypts but accepts any client; set tlsverify: true",
        )

    if config.get("insecure-registries"):
        raise _fail(
            host,
            "insecure_registry",
            "insecure-registries",
            "pulling without TLS or certificate checks lets anyone on the network swap "
            "the images this host runs; give the registry a trusted certificate",
        )

    if config.get("log-driver", "json-file") == "json-file":
        opts = config.get("log-opts") or {}
        size, files = opts.get("max-size"), opts.get("max-file")
        if not size or not files:
            raise _fail(
                host,
                "log_limits",
                "log-opts",
                "json-file logs need max-size and max-file, or one container can fill the "
                "system disk",
            )
        if not isinstance(size, str) or not _SIZE.match(size):
            raise _fail(host, "log_limits", "log-opts.max-size", f"{size!r} is not a size like 10m")
        if not isinstance(files, str) or not files.isdigit() or int(files) < 1:
            raise _fail(
                host,
                "log_limits",
                "log-opts.max-file",
                f"{files!r} must be a string holding a positive number, e.g. '3'",
            )

    for opt in config.get("exec-opts") or []:
        key, _sep, value = str(opt).partition("=")
        if key.strip() != "isolation" or value.strip().lower() not in ISOLATIONS:
            raise _fail(
                host,
                "exec_opts",
                "exec-opts",
                f"{opt!r}: on Windows only isolation=process or isolation=hyperv is accepted",
            )
    if multi_tenant and default_isolation(config) != "hyperv":
        raise _fail(
            host,
            "exec_opts",
            "exec-opts",
            "this host runs workloads of other trust boundaries or untrusted workloads: the "
            "engine must default to isolation=hyperv so a container started by hand still "
            "gets a Hyper-V boundary",
        )

    group = config.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise _fail(host, "group", "group", "group must be a non-empty group name when set")
