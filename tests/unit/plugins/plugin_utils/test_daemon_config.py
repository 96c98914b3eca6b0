"""daemon.json hardening: the built default, every refusal, canonical comparison."""

from __future__ import annotations

import json

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.daemon_config import (
    DaemonConfigError,
    build,
    canonical,
    default_isolation,
    differs,
    validate,
)

ENGINE = "27.3.1"
TLS = {"cacert": r"C:\certs\ca.pem", "cert": r"C:\certs\server.pem", "key": r"C:\certs\key.pem"}


def refused(config, rule, multi_tenant=False):
    with pytest.raises(DaemonConfigError) as err:
        validate(config, host="ws1", multi_tenant=multi_tenant, engine_version=ENGINE)
    assert err.value.rule == rule
    assert "ws1" in str(err.value)
    return err.value


def test_default_is_named_pipe_with_log_limits_and_no_group():
    config = build({}, host="ws1", multi_tenant=False, engine_version=ENGINE)
    assert config == {
        "hosts": ["npipe://"],
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "3"},
    }


def test_multi_tenant_host_defaults_to_hyperv_isolation():
    config = build({}, host="ws1", multi_tenant=True, engine_version=ENGINE)
    assert config["exec-opts"] == ["isolation=hyperv"]
    assert default_isolation(config) == "hyperv"


def test_explicit_process_on_multi_tenant_host_refused():
    with pytest.raises(DaemonConfigError) as err:
        build(
            {"default_isolation": "process"}, host="ws1", multi_tenant=True, engine_version=ENGINE
        )
    assert err.value.rule == "exec_opts"
    assert "Hyper-V" in str(err.value)


def test_explicit_hyperv_on_single_tenant_host():
    config = build(
        {"default_isolation": "hyperv"}, host="ws1", multi_tenant=False, engine_version=ENGINE
    )
    assert config["exec-opts"] == ["isolation=hyperv"]


def test_bad_default_isolation_value():
    with pytest.raises(DaemonConfigError) as err:
        build({"default_isolation": "vm"}, host="ws1", multi_tenant=False, engine_version=ENGINE)
    assert err.value.field == "default_isolation"


def test_plain_tcp_listener_refused_with_the_reason():
    err = refused({"hosts": ["npipe://", "tcp://0.0.0.0:2375"], "log-opts": {}}, "listener")
    assert "unauthenticated remote root" in str(err)
    assert "tcp://0.0.0.0:2375" in str(err)


def test_plain_tcp_listener_refused_when_built_from_role_variables():
    with pytest.raises(DaemonConfigError) as err:
        build(
            {"hosts": ["tcp://0.0.0.0:2375"]}, host="ws1", multi_tenant=False, engine_version=ENGINE
        )
    assert err.value.rule == "listener"


def test_tcp_with_tls_verification_accepted():
    config = build(
        {"hosts": ["npipe://", "tcp://0.0.0.0:2376"], "tls": TLS},
        host="ws1",
        multi_tenant=False,
        engine_version=ENGINE,
    )
    assert config["tlsverify"] is True
    assert config["tlscacert"] == TLS["cacert"]


def test_tcp_with_tls_missing_key_refused():
    err = refused(
        {
            "hosts": ["tcp://0.0.0.0:2376"],
            "tlsverify": True,
            "tlscacert": "a",
            "tlscert": "b",
            "log-opts": {"max-size": "1m", "max-file": "1"},
        },
        "listener",
    )
    assert "tlskey" in str(err)


def test_tls_without_verify_refused():
    refused(
        {"tls": True, "log-opts": {"max-size": "1m", "max-file": "1"}},
        "listener",
    )


@pytest.mark.parametrize("listener", ["unix:///var/run/docker.sock", "fd://", "127.0.0.1:2375"])
def test_non_windows_listeners_refused(listener):
    refused({"hosts": [listener]}, "listener")


def test_unknown_and_linux_only_keys_refused():
    err = refused({"hosts": ["npipe://"], "userns-remap": "default"}, "unknown_key")
    assert err.field == "userns-remap"
    refused({"hostz": ["npipe://"]}, "unknown_key")


def test_insecure_registries_refused():
    refused(
        {
            "insecure-registries": ["registry.local:5000"],
            "log-opts": {"max-size": "1m", "max-file": "1"},
        },
        "insecure_registry",
    )


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"max-size": "10m"},
        {"max-file": "3"},
        {"max-size": "ten", "max-file": "3"},
        {"max-size": "10m", "max-file": 3},
        {"max-size": "10m", "max-file": "0"},
    ],
)
def test_unbounded_or_malformed_json_file_logs_refused(opts):
    refused({"log-driver": "json-file", "log-opts": opts}, "log_limits")


def test_other_log_driver_needs_no_json_file_limits():
    validate({"log-driver": "etwlogs"}, host="ws1", engine_version=ENGINE)


@pytest.mark.parametrize("opt", ["isolation=vm", "native.cgroupdriver=systemd"])
def test_exec_opts_other_than_isolation_refused(opt):
    refused({"exec-opts": [opt], "log-opts": {"max-size": "1m", "max-file": "1"}}, "exec_opts")


def test_group_only_when_asked_and_not_empty():
    config = build({"group": "docker-users"}, host="ws1", multi_tenant=False, engine_version=ENGINE)
    assert config["group"] == "docker-users"
    refused({"group": " ", "log-opts": {"max-size": "1m", "max-file": "1"}}, "group")


def test_extra_config_cannot_override_managed_keys():
    with pytest.raises(DaemonConfigError) as err:
        build(
            {"extra": {"hosts": ["tcp://0.0.0.0:2375"]}},
            host="ws1",
            multi_tenant=False,
            engine_version=ENGINE,
        )
    assert err.value.rule == "managed_key"


def test_extra_config_is_validated_and_kept():
    config = build(
        {"extra": {"registry-mirrors": ["https://mirror.example.com"]}},
        host="ws1",
        multi_tenant=False,
        engine_version=ENGINE,
    )
    assert config["registry-mirrors"] == ["https://mirror.example.com"]
    with pytest.raises(DaemonConfigError):
        build(
            {"extra": {"insecure-registries": ["x:5000"]}},
            host="ws1",
            multi_tenant=False,
            engine_version=ENGINE,
        )


def test_canonical_is_key_order_independent_and_stable():
    a = {"b": 1, "a": {"y": 2, "x": 1}}
    b = {"a": {"x": 1, "y": 2}, "b": 1}
    assert canonical(a) == canonical(b)
    assert json.loads(canonical(a)) == a
    assert canonical(a).endswith("\n")
    assert not differs(a, b)
    assert differs(a, {"a": {"x": 1, "y": 3}, "b": 1})


def test_absent_config_differs_from_the_hardened_default():
    desired = build({}, host="ws1", multi_tenant=False, engine_version=ENGINE)
    assert differs(None, desired)
    assert differs({}, desired)


@pytest.mark.parametrize(
    "hosts",
    [
        ["npipe:////./pipe/other_engine"],
        ["tcp://0.0.0.0:2376"],
        ["npipe:////./pipe/docker_engine_windows", "tcp://0.0.0.0:2376"],
    ],
)
def test_hosts_without_the_default_pipe_refused(hosts):
    config = {"hosts": hosts, "log-opts": {"max-size": "10m", "max-file": "3"}}
    config.update(tlsverify=True, tlscacert="c", tlscert="c", tlskey="k")
    err = refused(config, "default_pipe")
    assert "no later run could read or repair this host" in str(err)


@pytest.mark.parametrize("pipe", ["npipe://", "NPIPE://", "npipe:////./pipe/docker_engine"])
def test_every_spelling_of_the_default_pipe_accepted(pipe):
    validate(
        {"hosts": [pipe], "log-opts": {"max-size": "10m", "max-file": "3"}},
        host="ws1",
        engine_version=ENGINE,
    )
