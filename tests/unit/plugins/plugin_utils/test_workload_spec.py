"""workload_spec: every refusal names the host, the workload and the rule; normalisation."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_spec as ws

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def one(**entry):
    entry.setdefault("name", "web")
    entry.setdefault("image", NANO)
    return ws.normalise_workloads([entry], host="h1")[0]


def refusal(entries, **kwargs) -> ws.WorkloadSpecError:
    with pytest.raises(ws.WorkloadSpecError) as caught:
        ws.normalise_workloads(entries, host="h1", **kwargs)
    return caught.value


def rules_of(error: ws.WorkloadSpecError) -> list[str]:
    return [problem.rule for problem in error.errors]


def test_minimal_entry_gets_defaults():
    spec = one()
    assert (spec.name, spec.image, spec.state) == ("web", NANO, "started")
    assert spec.restart_policy == "no"
    assert spec.command == [] and spec.env == {} and spec.ports == []
    assert spec.trust_level is None and spec.user is None


def test_none_means_no_workloads():
    assert ws.normalise_workloads(None, host="h1") == []


def test_full_entry_is_normalised():
    spec = one(
        command="ping -t localhost",
        entrypoint=["powershell.exe", "-NoProfile"],
        env={"MODE": "prod", "COUNT": 3, "DEBUG": False},
        secret_env={"TOKEN": "s3cr3t"},
        ports=["8080:80", 443, "0.0.0.0:9000:9000/udp", {"host": 81, "container": 80}],
        volumes=["C:\\data:C:\\app\\data:ro", "logs:C:\\logs", {"target": "C:\\cache"}],
        networks=["nat"],
        restart_policy="on-failure:3",
        memory="512m",
        cpus="1.5",
        labels={"team": "web"},
        stop_timeout=30,
    )
    assert spec.command == ["cmd", "/S", "/C", "ping -t localhost"]
    assert spec.entrypoint == ["powershell.exe", "-NoProfile"]
    assert spec.env == {"MODE": "prod", "COUNT": "3", "DEBUG": "false"}
    assert spec.secret_env == {"TOKEN": "s3cr3t"}
    assert [p.render() for p in spec.ports] == [
        "8080:80/tcp",
        "443/tcp",
        "0.0.0.0:9000:9000/udp",
        "81:80/tcp",
    ]
    assert spec.holds_host_ports
    assert [m.render() for m in spec.mounts] == [
        "C:\\data:C:\\app\\data:ro",
        "logs:C:\\logs",
        "C:\\cache",
    ]
    assert spec.memory_bytes == 512 * 1024**2
    assert spec.cpus == 1.5
    assert spec.restart_policy == "on-failure:3"
    assert spec.stop_timeout == 30


def test_container_port_only_does_not_hold_a_host_port():
    assert not one(ports=["80"]).holds_host_ports


def test_command_list_is_kept_and_mounts_alias():
    spec = one(command=["ping", "-t", "localhost"], mounts=["C:\\a:C:\\b"])
    assert spec.command == ["ping", "-t", "localhost"]
    assert [m.render() for m in spec.mounts] == ["C:\\a:C:\\b"]


def test_policy_input_carries_only_set_trust_keys():
    spec = one(trust_level="untrusted", trust_boundary="partner")
    assert spec.policy_input(None) == {
        "name": "web",
        "image": NANO,
        "trust_level": "untrusted",
        "trust_boundary": "partner",
    }
    assert spec.policy_input("10.0.20348.1")["image_os_version"] == "10.0.20348.1"


def test_yaml_bare_no_restart_policy_is_no():
    assert one(restart_policy=False).restart_policy == "no"


@pytest.mark.parametrize(
    ("entry", "rule", "field"),
    [
        ({"name": "web", "image": NANO, "colour": "blue"}, ws.RULE_UNKNOWN_KEY, "colour"),
        ({"image": NANO}, ws.RULE_REQUIRED, "name"),
        ({"name": "web"}, ws.RULE_REQUIRED, "image"),
        ({"name": "-web", "image": NANO}, ws.RULE_BAD_NAME, "name"),
        ({"name": "w", "image": NANO}, ws.RULE_BAD_NAME, "name"),
        ({"name": "web", "image": "Bad/Image"}, ws.RULE_BAD_IMAGE, "image"),
        ({"name": "web", "image": NANO, "state": "running"}, ws.RULE_BAD_VALUE, "state"),
        ({"name": "web", "image": NANO, "devices": ["COM1"]}, ws.RULE_HOST_DEVICES, "devices"),
        ({"name": "web", "image": NANO, "privileged": True}, ws.RULE_PRIVILEGED, "privileged"),
        ({"name": "web", "image": NANO, "read_only": True}, ws.RULE_READ_ONLY, "read_only"),
        ({"name": "web", "image": NANO, "networks": ["host"]}, ws.RULE_HOST_NETWORK, "networks"),
        (
            {
                "name": "web",
                "image": NANO,
                "volumes": ["\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\x"],
            },
            ws.RULE_ENGINE_PIPE,
            "volumes",
        ),
        (
            {
                "name": "web",
                "image": NANO,
                "volumes": [{"source": "//./pipe/docker_engine", "target": "\\\\.\\pipe\\d"}],
            },
            ws.RULE_ENGINE_PIPE,
            "volumes",
        ),
        (
            {"name": "web", "image": NANO, "labels": {"trustbound.wincontainers.managed": "x"}},
            ws.RULE_RESERVED_LABEL,
            "labels",
        ),
        (
            {"name": "web", "image": NANO, "env": {"A": "1"}, "secret_env": {"A": "2"}},
            ws.RULE_SECRET_ENV_CLASH,
            "secret_env",
        ),
        ({"name": "web", "image": NANO, "env": {"A=B": "1"}}, ws.RULE_BAD_VALUE, "env"),
        ({"name": "web", "image": NANO, "env": {"A": ["x"]}}, ws.RULE_BAD_VALUE, "env.A"),
        ({"name": "web", "image": NANO, "env": "A=1"}, ws.RULE_BAD_VALUE, "env"),
        ({"name": "web", "image": NANO, "ports": ["99999:80"]}, ws.RULE_BAD_VALUE, "ports"),
        ({"name": "web", "image": NANO, "ports": ["80:80/sctp"]}, ws.RULE_BAD_VALUE, "ports"),
        ({"name": "web", "image": NANO, "ports": "80:80"}, ws.RULE_BAD_VALUE, "ports"),
        (
            {"name": "web", "image": NANO, "ports": [{"host": 80, "container": 80, "x": 1}]},
            ws.RULE_UNKNOWN_KEY,
            "ports",
        ),
        ({"name": "web", "image": NANO, "volumes": ["not a path"]}, ws.RULE_BAD_VALUE, "volumes"),
        (
            {"name": "web", "image": NANO, "volumes": ["C:\\a:C:\\b"], "mounts": ["C:\\c"]},
            ws.RULE_BAD_VALUE,
            "mounts",
        ),
        ({"name": "web", "image": NANO, "memory": "lots"}, ws.RULE_BAD_VALUE, "memory"),
        ({"name": "web", "image": NANO, "memory": "1k"}, ws.RULE_MEMORY_FLOOR, "memory"),
        ({"name": "web", "image": NANO, "cpus": -1}, ws.RULE_BAD_VALUE, "cpus"),
        ({"name": "web", "image": NANO, "cpus": "nan"}, ws.RULE_BAD_VALUE, "cpus"),
        ({"name": "web", "image": NANO, "restart_policy": "sometimes"}, ws.RULE_BAD_VALUE, None),
        ({"name": "web", "image": NANO, "stop_timeout": "soon"}, ws.RULE_BAD_VALUE, None),
        ({"name": "web", "image": NANO, "command": {"a": 1}}, ws.RULE_BAD_VALUE, "command"),
        ({"name": "web", "image": NANO, "trust_level": 3}, ws.RULE_BAD_VALUE, "trust_level"),
    ],
)
def test_refusals_name_host_workload_and_rule(entry, rule, field):
    error = refusal([entry])
    assert rule in rules_of(error)
    problem = next(p for p in error.errors if p.rule == rule)
    if field is not None:
        assert problem.field == field
    message = str(error)
    assert "host 'h1'" in message
    assert f"rule '{rule}'" in message
    expected_workload = repr(entry["name"]) if "name" in entry else "#1 (unnamed)"
    assert f"workload {expected_workload}" in message


def test_secret_values_never_appear_in_refusals():
    error = refusal([{"name": "web", "image": NANO, "secret_env": {"T": {"nested": "hunter22"}}}])
    assert "hunter22" not in str(error)


def test_duplicate_names_are_refused_case_insensitively():
    error = refusal([{"name": "web", "image": NANO}, {"name": "WEB", "image": NANO}])
    assert rules_of(error) == [ws.RULE_DUPLICATE]
    assert "#1 and #2" in str(error)


def test_every_problem_is_reported_at_once():
    error = refusal(
        [{"name": "web", "image": NANO, "privileged": True}, {"name": "db", "colour": 1}]
    )
    assert {ws.RULE_PRIVILEGED, ws.RULE_UNKNOWN_KEY, ws.RULE_REQUIRED} <= set(rules_of(error))
    assert "workload 'web'" in str(error) and "workload 'db'" in str(error)


def test_not_a_list_and_not_a_mapping():
    assert rules_of(refusal({"name": "web"})) == [ws.RULE_NOT_A_LIST]
    assert rules_of(refusal(["web"])) == [ws.RULE_NOT_A_MAPPING]


def test_other_pipes_are_allowed_but_configured_engine_pipes_are_not():
    spec = one(volumes=["\\\\.\\pipe\\my_app:\\\\.\\pipe\\my_app"])
    assert spec.mounts[0].source == "\\\\.\\pipe\\my_app"
    pipes = ws.engine_pipe_names({"hosts": ["npipe:////./pipe/custom_engine", "tcp://0:2376"]})
    assert pipes == ("docker_engine", "custom_engine")
    error = refusal(
        [{"name": "web", "image": NANO, "volumes": ["\\\\.\\pipe\\custom_engine:C:\\p"]}],
        engine_pipes=pipes,
    )
    assert rules_of(error) == [ws.RULE_ENGINE_PIPE]


def test_engine_pipe_variants_are_refused():
    for source in ("\\\\.\\pipe\\docker_engine", "\\\\.\\PIPE\\Docker_Engine_windows"):
        error = refusal([{"name": "web", "image": NANO, "volumes": [f"{source}:C:\\x"]}])
        assert rules_of(error) == [ws.RULE_ENGINE_PIPE]


def test_container_network_under_hyperv_only():
    spec = one(networks=["container:db"])
    assert ws.refuse_network_under_hyperv(spec, "process", "h1") is None
    problem = ws.refuse_network_under_hyperv(spec, "hyperv", "h1")
    assert problem is not None
    assert problem.rule == ws.RULE_CONTAINER_NETWORK_HYPERV
    assert "host 'h1', workload 'web'" in str(problem)
