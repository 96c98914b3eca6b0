"""workload_spec: names, limits and conflicts docker would only refuse half way through a run."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_spec as ws

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def refusal(entries) -> ws.WorkloadSpecError:
    with pytest.raises(ws.WorkloadSpecError) as caught:
        ws.normalise_workloads(entries, host="h1")
    return caught.value


def the_problem(error: ws.WorkloadSpecError, rule: str) -> ws.SpecProblem:
    return next(problem for problem in error.errors if problem.rule == rule)


def test_leading_slash_is_dropped_as_docker_does():
    # docker stores "/web" as "web" and container_host_info reports "web": kept as given,
    # the workload would be created again on every run ("name already in use").
    (spec,) = ws.normalise_workloads([{"name": "/web", "image": NANO}], host="h1")
    assert spec.name == "web"


def test_slash_and_plain_spellings_of_one_name_are_duplicates():
    error = refusal([{"name": "/web", "image": NANO}, {"name": "web", "image": NANO}])
    assert [problem.rule for problem in error.errors] == [ws.RULE_DUPLICATE]


@pytest.mark.parametrize("name", ["web-tbwc-new", "WEB-TBWC-NEW", "/api-tbwc-new"])
def test_the_replacement_suffix_is_reserved(name):
    # A workload called "web-tbwc-new" would be removed as the leftover of "web".
    error = refusal([{"name": name, "image": NANO}])
    problem = the_problem(error, ws.RULE_RESERVED_NAME)
    assert problem.field == "name"
    assert "host 'h1'" in str(error) and "-tbwc-new" in str(error)


@pytest.mark.parametrize("cpus", [float("inf"), "inf", "Infinity", 1e400])
def test_infinite_cpus_are_refused(cpus):
    error = refusal([{"name": "web", "image": NANO, "cpus": cpus}])
    assert the_problem(error, ws.RULE_BAD_VALUE).field == "cpus"


def test_cpus_below_docker_precision_are_refused():
    # docker converts --cpus to NanoCPUs and Windows to a CPU percentage: 0.01 is the floor.
    error = refusal([{"name": "web", "image": NANO, "cpus": 0.001}])
    assert "0.01" in str(the_problem(error, ws.RULE_BAD_VALUE))


@pytest.mark.parametrize("value", [3601, 2**31])
def test_step_timeouts_over_an_hour_are_refused_before_the_module_sees_them(value):
    # A step waits inside one module run; Ansible.Basic's int is 32-bit besides.
    error = refusal([{"name": "web", "image": NANO, "stop_timeout": value}])
    problem = the_problem(error, ws.RULE_BAD_VALUE)
    assert problem.field == "stop_timeout" and "3600" in str(problem)


def test_a_step_timeout_of_an_hour_is_kept():
    (spec,) = ws.normalise_workloads(
        [{"name": "web", "image": NANO, "stop_timeout": 3600}], host="h1"
    )
    assert spec.stop_timeout == 3600


@pytest.mark.parametrize("port", ["999.1.1.1:8080:80", "10.0.0.256:8080:80", "[::zz]:8080:80"])
def test_bad_host_addresses_are_refused(port):
    error = refusal([{"name": "web", "image": NANO, "ports": [port]}])
    assert the_problem(error, ws.RULE_BAD_VALUE).field == "ports"


def test_unspecified_host_addresses_are_kept():
    (spec,) = ws.normalise_workloads(
        [{"name": "web", "image": NANO, "ports": ["0.0.0.0:8080:80", "[::]:8443:443"]}]
    )
    assert [port.render() for port in spec.ports] == ["0.0.0.0:8080:80/tcp", "[::]:8443:443/tcp"]


@pytest.mark.parametrize(
    "port",
    ["127.0.0.1:8080:80", "[::1]:8443:443", {"host_ip": "10.0.0.5", "host": 80, "container": 80}],
)
def test_a_specific_host_address_is_refused_as_windows_nat_refuses_it(port):
    """moby libnetwork/drivers/windows/windows.go: "Windows does not support host IP addresses
    in NAT settings" for any host IP but an unspecified one."""
    error = refusal([{"name": "web", "image": NANO, "ports": [port]}])
    problem = the_problem(error, ws.RULE_HOST_IP)
    assert problem.field == "ports" and problem.host == "h1" and problem.workload == "'web'"
    assert "Windows does not support host IP addresses in NAT settings" in str(problem)


def test_two_workloads_binding_one_host_port_are_refused_before_any_change():
    error = refusal(
        [
            {"name": "web", "image": NANO, "ports": ["8080:80"]},
            {"name": "api", "image": NANO, "ports": ["0.0.0.0:8080:81"]},
        ]
    )
    problem = the_problem(error, ws.RULE_HOST_PORT_CONFLICT)
    assert problem.workload == "'api'"
    assert "8080/tcp" in problem.detail and "'web'" in problem.detail


def test_one_workload_binding_a_host_port_twice_is_refused():
    error = refusal([{"name": "web", "image": NANO, "ports": ["8080:80", "8080:81"]}])
    assert the_problem(error, ws.RULE_HOST_PORT_CONFLICT).workload == "'web'"


@pytest.mark.parametrize(
    "ports",
    [
        (["8080:80"], ["8080:80/udp"]),  # another protocol
        (["80"], ["80"]),  # ephemeral host ports
    ],
)
def test_ports_that_do_not_collide_are_accepted(ports):
    first, second = ports
    specs = ws.normalise_workloads(
        [
            {"name": "web", "image": NANO, "ports": first},
            {"name": "api", "image": NANO, "ports": second},
        ]
    )
    assert len(specs) == 2


def test_an_absent_workload_holds_no_port():
    specs = ws.normalise_workloads(
        [
            {"name": "old", "image": NANO, "ports": ["8080:80"], "state": "absent"},
            {"name": "web", "image": NANO, "ports": ["8080:80"]},
        ]
    )
    assert [spec.name for spec in specs] == ["old", "web"]


@pytest.mark.parametrize(
    "entry",
    [
        {"name": 12, "image": NANO},
        {"name": "wéb", "image": NANO},
        {"name": "web", "image": 3},
        {"name": "web", "image": NANO, "env": {"A": {"b": "c"}}},
        {"name": "web", "image": NANO, "ports": [80, "x"]},
        {"name": "web", "image": NANO, "memory": 10**30},
        {"name": "web", "image": NANO, "labels": ["a=b"]},
        {"name": "web", "image": NANO, "networks": "nat"},
    ],
)
def test_wrong_types_get_a_named_refusal_not_an_exception(entry):
    error = refusal([entry])
    assert "host 'h1'" in str(error) and "refused by rule" in str(error)


def test_memory_beyond_an_int64_is_refused():
    # docker's HostConfig.Memory is an int64.
    error = refusal([{"name": "web", "image": NANO, "memory": "99999999999g"}])
    assert the_problem(error, ws.RULE_BAD_VALUE).field == "memory"


@pytest.mark.parametrize("memory", ["6m", "30m", 49 * 1024**2, "51199k"])
def test_memory_below_the_floor_the_sources_support_is_refused(memory):
    """No floor in dockerd on Windows; below 8 MB a container hangs unstoppably
    (microsoft/Windows-Containers#482), 30 MB hung the docker service (moby/moby#37429)."""
    error = refusal([{"name": "web", "image": NANO, "memory": memory}])
    problem = the_problem(error, ws.RULE_MEMORY_FLOOR)
    assert problem.field == "memory" and problem.host == "h1" and "50 MB" in problem.detail


def test_memory_at_the_floor_is_kept():
    (spec,) = ws.normalise_workloads([{"name": "web", "image": NANO, "memory": "50m"}])
    assert spec.memory_bytes == ws.MIN_MEMORY_BYTES == 50 * 1024**2


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("on-failure:0", "on-failure"),  # MaximumRetryCount 0: docker inspect shows on-failure
        ("on-failure", "on-failure"),
        ("on-failure:5", "on-failure:5"),
        ("on-failure:007", "on-failure:7"),
    ],
)
def test_on_failure_counts_from_zero_are_accepted_in_docker_inspect_form(given, kept):
    """moby refuses only a negative count (api/types/container/hostconfig.go)."""
    (spec,) = ws.normalise_workloads([{"name": "web", "image": NANO, "restart_policy": given}])
    assert spec.restart_policy == kept


@pytest.mark.parametrize("policy", ["on-failure:-1", "on-failure:", "always:3", "on-failure:x"])
def test_other_restart_policies_stay_refused(policy):
    error = refusal([{"name": "web", "image": NANO, "restart_policy": policy}])
    assert the_problem(error, ws.RULE_BAD_VALUE).field == "restart_policy"
