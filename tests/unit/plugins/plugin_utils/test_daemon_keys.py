"""daemon.json keys per engine major version, checked against the simulator's dockerd model.

The controller's tables (plugin_utils/daemon_keys.py: fields dockerd reads)
and the simulator's (wcsim/daemon_flags.py: flag names dockerd validates,
with moby's flattening) were written separately from moby's sources; each
table entry must pass both, each refused key must be refused by the
controller naming key, version and host.
"""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import daemon_keys
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.daemon_config import (
    DaemonConfigError,
    validate,
)
from wcsim.daemon_flags import unknown_directives

# One engine version per table (the tag each table was read at).
VERSIONS = {m: tag.lstrip("v") for m, (tag, _keys) in daemon_keys.TABLES.items()}
ENTRIES = [
    (m, key) for m, (_tag, keys) in sorted(daemon_keys.TABLES.items()) for key in sorted(keys)
]
# Keys no table holds that people put in daemon.json.
NEVER_READ = ["default-stop-timeout", "http-proxy", "https-proxy", "no-proxy",
              "containerd-plugin-namespace", "default-address-pools", "userns-remap"]  # fmt: skip
REJECTED = [
    (m, key)
    for m, (_tag, keys) in sorted(daemon_keys.TABLES.items())
    for key in sorted((daemon_keys.ALL_KEYS - keys) | set(NEVER_READ))
]
# Keys dockerd accepts (a flag or skipped) but no field reads: the controller
# refuses them, the simulated dockerd starts and ignores them, as dockerd does.
IGNORED_BY_DOCKERD = {
    (m, key)
    for m in daemon_keys.TABLES
    if m >= 23
    for key in ("http-proxy", "https-proxy", "no-proxy")
} | {(28, "allow-nondistributable-artifacts")}


def value_for(key: str):
    return {"http-proxy": "http://proxy:3128"} if key == "proxies" else "x"


@pytest.mark.parametrize(("major", "key"), ENTRIES, ids=[f"{m}-{k}" for m, k in ENTRIES])
def test_table_entry_is_read_by_that_engine(major, key):
    config = {key: value_for(key)}
    assert daemon_keys.unknown_keys(config, VERSIONS[major]) == []
    assert unknown_directives(config, major) == [], "the simulated dockerd refuses it"


@pytest.mark.parametrize(("major", "key"), REJECTED, ids=[f"{m}-{k}" for m, k in REJECTED])
def test_rejected_key_is_refused_naming_key_version_and_host(major, key):
    version = VERSIONS[major]
    with pytest.raises(DaemonConfigError) as err:
        validate({key: value_for(key)}, host="ws9", engine_version=version)
    assert err.value.rule == "unknown_key"
    assert err.value.field == key
    text = str(err.value)
    assert "host 'ws9'" in text and key in text and f"dockerd {version}" in text
    simulated = unknown_directives({key: value_for(key)}, major)
    assert (simulated == []) == ((major, key) in IGNORED_BY_DOCKERD), simulated


def test_proxies_only_from_23_and_only_the_three_proxy_keys():
    proxies = {"proxies": {"http-proxy": "http://p:3128", "no-proxy": "localhost"}}
    assert daemon_keys.unknown_keys(proxies, "23.0.17") == []
    assert daemon_keys.unknown_keys(proxies, "20.10.24") == ["proxies"]
    # dockerd 20.10 flattens "proxies" and names the inner keys.
    assert unknown_directives(proxies, 20) == ["http-proxy", "no-proxy"]
    bad = {"proxies": {"ftp-proxy": "x"}}
    assert daemon_keys.unknown_keys(bad, "27.3.1") == ["proxies.ftp-proxy"]
    assert unknown_directives(bad, 27) == ["ftp-proxy"]


def test_version_specific_keys_from_the_moby_tags():
    assert daemon_keys.unknown_keys({"log-format": "json"}, "20.10.24") == ["log-format"]
    assert daemon_keys.unknown_keys({"log-format": "json"}, "24.0.9") == ["log-format"]
    assert daemon_keys.unknown_keys({"log-format": "json"}, "25.0.5") == []
    assert daemon_keys.unknown_keys({"default-network-opts": {}}, "23.0.17") == [
        "default-network-opts"
    ]
    assert daemon_keys.unknown_keys({"storage-driver": "windowsfilter"}, "20.10.24") == []
    assert daemon_keys.unknown_keys({"storage-driver": "windowsfilter"}, "23.0.17") == [
        "storage-driver"
    ]


def test_refusal_explains_nested_proxies_and_the_missing_option():
    with pytest.raises(DaemonConfigError) as err:
        validate({"http-proxy": "http://p:3128"}, host="ws9", engine_version="27.3.1")
    assert "proxies: {http-proxy: ...}" in str(err.value)
    with pytest.raises(DaemonConfigError) as err:
        validate({"default-stop-timeout": 30}, host="ws9", engine_version="27.3.1")
    assert "no dockerd has this option" in str(err.value)
    assert "moby v27.3.1" in str(err.value)


def test_newer_major_uses_the_newest_table_and_says_so():
    tag, keys, exact = daemon_keys.table("29.0.1")
    assert (tag, exact) == (daemon_keys.TABLES[daemon_keys.NEWEST][0], False)
    with pytest.raises(DaemonConfigError) as err:
        validate({"bogus": 1}, host="ws9", engine_version="29.0.1")
    assert "the newest table" in str(err.value)
    assert keys == daemon_keys.TABLES[daemon_keys.NEWEST][1]
