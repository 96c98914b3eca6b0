"""Docker engine rules and their messages (wcsim.engine)."""

from __future__ import annotations

import textwrap

import pytest

from wcsim.engine import EngineError

NANO22 = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
CORE22 = "mcr.microsoft.com/windows/servercore:ltsc2022"
CORE19 = "mcr.microsoft.com/windows/servercore:ltsc2019"
NANO25 = "mcr.microsoft.com/windows/nanoserver:ltsc2025"
NEWER22 = "mcr.microsoft.com/windows/servercore:ltsc2022-newer"
CORE16 = "mcr.microsoft.com/windows/servercore:ltsc2016"
CORE16_OTHER = "mcr.microsoft.com/windows/servercore:10.0.14393.9999"
PRIVATE = "registry.example.com/team/app:1.0"

FLEET = f"""
registry:
  images:
    {NANO22}: {{os_version: 10.0.20348.2340}}
    {CORE22}: {{os_version: 10.0.20348.2340}}
    {CORE19}: {{os_version: 10.0.17763.5458}}
    {NANO25}: {{os_version: 10.0.26100.3194}}
    {NEWER22}: {{os_version: 10.0.20348.9999}}
    {CORE16}: {{os_version: 10.0.14393.6709}}
    {CORE16_OTHER}: {{os_version: 10.0.14393.9999}}
    {PRIVATE}: {{os_version: 10.0.20348.2340, user: AppUser}}
  credentials:
    registry.example.com: {{username: deploy, password: s3cret}}
hosts:
  h22:
    os_version: 10.0.20348.2340
    machine: physical
    logical_processors: 4
    features: [Containers, Hyper-V]
    engine: {{version: 27.3.1}}
    images: [{NANO22}, {CORE22}, {CORE19}, {NEWER22}]
  h22-nohv:
    os_version: 10.0.20348.2340
    features: [Containers]
    engine: {{version: 27.3.1}}
    images: [{NANO22}, {CORE19}]
  h16:
    os_version: 10.0.14393.6709
    machine: physical
    features: [Containers]
    engine: {{version: 20.10.24}}
    images: [{CORE16}, {CORE16_OTHER}]
  bare:
    os_version: 10.0.20348.2340
  old:
    os_version: 10.0.14393.6709
    features: [Containers]
  faulty:
    os_version: 10.0.20348.2340
    features: [Containers]
    engine: {{version: 27.3.1}}
    images: [{NANO22}]
    faults:
      pull_failures: {{{CORE22}: 2}}
      container_exit_after_start:
        - {{name: crashy, exit_code: 3}}
        - {{image: {CORE22}}}
"""


@pytest.fixture
def sim(make_sim, write_fleet):
    return make_sim(write_fleet(textwrap.dedent(FLEET)))


def engine(sim, host="h22"):
    return sim.host(host).engine


def refused(call, *args, **kwargs) -> EngineError:
    with pytest.raises(EngineError) as err:
        call(*args, **kwargs)
    return err.value


# ------------------------------------------------------------------ service --
def exited_after_start(engine) -> str:
    """Start-Service returns (dockerd reported running), then dockerd exits: its error."""
    engine.start_service()
    assert not engine.running
    pipe = refused(engine.server_version)
    assert "open //./pipe/docker_engine: The system cannot find the file specified." in pipe.message
    return engine.record.last_exit_error


def test_engine_needs_the_containers_feature_installed(sim):
    host = sim.host("bare")
    host.engine.install(version="27.3.1")
    host.engine.register_service()
    assert exited_after_start(host.engine) == (
        "failed to start daemon: "
        "failed to load vmcompute.dll, ensure that the Containers feature is installed"
    )
    host.windows.install_features(["Containers"])  # pending until a restart
    assert "failed to load vmcompute.dll" in exited_after_start(host.engine)


def test_engine_23_and_later_refuse_server_2016(sim):
    host = sim.host("old")
    host.engine.install(version="24.0.7")
    host.engine.register_service()
    assert exited_after_start(host.engine) == (
        "failed to start daemon: this version of Windows does not support the docker daemon "
        "(Windows build 17763 or higher is required)"
    )
    host.engine.install(version="20.10.24")
    host.engine.start_service()
    assert host.engine.running
    assert host.engine.server_version() == "20.10.24"
    assert host.engine.record.last_exit_error == ""


def test_unregistered_service_and_unknown_daemon_json_keys(sim):
    host = sim.host("old")
    host.engine.install(version="20.10.24")
    assert (
        refused(host.engine.start_service).message
        == "Cannot find any service with service name 'docker'."
    )
    host.engine.register_service()
    host.engine.write_daemon_config({"hosts": ["npipe://"], "tls-verify": True})
    assert refused(host.engine.start_service).message == (
        "unable to configure the Docker daemon with file "
        "C:\\ProgramData\\docker\\config\\daemon.json: "
        "the following directives don't match any configuration option: tls-verify"
    )
    host.engine.write_daemon_config({"exec-opts": ["isolation=vm"]})
    assert (
        refused(host.engine.start_service).message == "invalid exec-opt value for 'isolation':'vm'"
    )


def test_docker_commands_fail_while_the_daemon_is_stopped(sim):
    eng = engine(sim)
    eng.stop_service()
    err = refused(eng.pull, NANO22)
    assert err.stderr.startswith(
        "error during connect: this error may indicate that the docker daemon is not running"
    )
    assert "open //./pipe/docker_engine: The system cannot find the file specified." in err.stderr


def test_no_engine_installed(sim):
    assert (
        "The term 'docker' is not recognized" in refused(engine(sim, "bare").pull, NANO22).message
    )


# -------------------------------------------------------------------- pulls --
def test_pull_adds_the_image_once(sim):
    eng = engine(sim, "h22-nohv")
    image, changed = eng.pull(CORE22)
    assert changed and image.repo_tags == [CORE22] and image.os_version == "10.0.20348.2340"
    assert image.user == "" and image.default_user == "ContainerAdministrator"
    assert eng.pull(CORE22) == (image, False)
    nano = eng.image(NANO22)
    assert (nano.user, nano.default_user) == ("ContainerUser", "ContainerUser")


def test_pull_of_an_image_newer_than_the_host(sim):
    assert refused(engine(sim).pull, NANO25).stderr == (
        "Error response from daemon: a Windows version 10.0.26100-based image is incompatible "
        "with a 10.0.20348 host"
    )


def test_pull_unknown_tag_and_unknown_repository(sim):
    assert refused(engine(sim).pull, "mcr.microsoft.com/windows/nanoserver:9999").message == (
        "manifest for mcr.microsoft.com/windows/nanoserver:9999 not found: "
        "manifest unknown: manifest unknown"
    )
    assert refused(engine(sim).pull, "acme/nothing:1").message == (
        "pull access denied for acme/nothing, repository does not exist or may require "
        "'docker login': "
        "denied: requested access to the resource is denied"
    )


def test_private_registry_needs_the_right_credentials(sim):
    eng = engine(sim)
    url = "https://registry.example.com/v2/team/app/manifests/1.0"
    assert refused(eng.pull, PRIVATE).message == f'Head "{url}": no basic auth credentials'
    wrong = {"username": "deploy", "password": "nope"}
    assert (
        refused(eng.pull, PRIVATE, wrong).message
        == f'Head "{url}": unauthorized: authentication required'
    )
    image, changed = eng.pull(PRIVATE, {"username": "deploy", "password": "s3cret"})
    assert changed and image.user == "AppUser"
    assert "s3cret" not in str(sim.host("h22").state.images)


def test_pull_failure_fault_fails_the_first_n_pulls(sim):
    eng = engine(sim, "faulty")
    for _ in range(2):
        assert refused(eng.pull, CORE22).message == (
            'Get "https://mcr.microsoft.com/v2/": net/http: request canceled while waiting for '
            "connection (Client.Timeout exceeded while awaiting headers)"
        )
    assert eng.pull(CORE22)[1] is True


# --------------------------------------------------------------- containers --
def test_create_resolves_default_isolation_from_the_daemon(sim):
    eng = engine(sim)
    assert eng.create("ca", NANO22).isolation == "process"
    eng.write_daemon_config({"exec-opts": ["isolation=hyperv"]})
    eng.restart_service()
    assert eng.create("cb", NANO22, isolation="default").isolation == "hyperv"
    assert eng.create("cc", NANO22, isolation="PROCESS").isolation == "process"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"isolation": "vm"},
            "invalid isolation (vm): Windows supports 'default', 'process', or 'hyperv'",
        ),
        (
            {"privileged": True},
            "invalid option: privileged mode is not supported for Windows containers",
        ),
        (
            {"read_only": True},
            "invalid option: read-only mode is not supported for Windows containers",
        ),
        (
            {"restart_policy": "sometimes"},
            "invalid restart policy: unknown policy 'sometimes'; use one of",
        ),
        ({"restart_policy": "always:3"}, "maximum retry count can only be used with 'on-failure'"),
        ({"cpus": 8}, "range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available"),
        ({"networks": ["frontend"]}, "network frontend not found"),
        ({"networks": ["container:ghost"]}, "No such container: ghost"),
    ],
)
def test_create_time_refusals(sim, kwargs, message):
    assert message in refused(engine(sim).create, "xx", NANO22, **kwargs).message
    assert engine(sim).find("xx") is None


def test_name_conflict_and_invalid_name(sim):
    first = engine(sim).create("web", NANO22)
    assert refused(engine(sim).create, "web", NANO22).message == (
        f'Conflict. The container name "/web" is already in use by container "{first.id}". '
        "You have to remove (or rename) that container to be able to reuse that name."
    )
    for bad in ("bad name", "x"):  # moby's pattern needs two characters or more
        assert refused(engine(sim).create, bad, NANO22).message == (
            f"Invalid container name ({bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )


def test_missing_image(sim):
    assert refused(engine(sim).create, "xx", NANO25).message == f"No such image: {NANO25}"


def test_process_isolation_with_another_build_fails_at_start(sim):
    eng = engine(sim)
    container = eng.create("old", CORE19, isolation="process")
    err = refused(eng.start, "old")
    assert err.stderr == (
        "Error response from daemon: "
        f"hcsshim::CreateComputeSystem {container.id}: The container operating "
        "system does not match the host operating system.\nError: failed to start containers: old"
    )
    assert (container.state, container.exit_code) == ("created", 128)
    eng.create("old-hv", CORE19, isolation="hyperv")
    assert eng.start("old-hv").running


def test_hyperv_isolation_without_the_hyperv_role(sim):
    eng = engine(sim, "h22-nohv")
    container = eng.create("hv", NANO22, isolation="hyperv")
    assert refused(eng.start, "hv").message == (
        f"hcsshim::CreateComputeSystem {container.id}: "
        "The virtual machine could not be started because a required feature is not installed."
    )


def test_image_revision_newer_than_the_host_under_process_isolation(sim):
    eng = engine(sim)
    container = eng.create("fresh", NEWER22, isolation="process")
    assert refused(eng.start, "fresh").message == (
        f"container {container.id} encountered an error during hcs::System::Start: "
        "failure in a Windows system call: "
        "The virtual machine or container exited unexpectedly. (0xc0370106)"
    )
    eng.create("fresh-hv", NEWER22, isolation="hyperv")
    assert eng.start("fresh-hv").running


def test_server_2016_process_isolation_needs_the_same_revision(sim):
    eng = engine(sim, "h16")
    assert eng.start(eng.create("same", CORE16, isolation="process").name).running
    eng.create("other", CORE16_OTHER, isolation="process")
    assert "does not match the host operating system" in refused(eng.start, "other").message


def test_users(sim):
    eng = engine(sim)
    assert eng.start(eng.create("admin", CORE22).name).running  # "" -> ContainerAdministrator
    assert eng.start(eng.create("nano", NANO22, user="ContainerUser").name).running
    assert eng.start(eng.create("svc", NANO22, user="NT AUTHORITY\\NETWORK SERVICE").name).running
    bob = eng.create("bob", NANO22, user="bob", command=["cmd", "/c", "echo hi"])
    assert refused(eng.start, "bob").message == (
        f"container {bob.id} encountered an error during hcs::System::CreateProcess: "
        "cmd /c echo hi: "
        "failure in a Windows system call: The user name or password is incorrect. (0x52e)"
    )


def test_host_port_conflict_with_a_running_container(sim):
    eng = engine(sim)
    eng.start(eng.create("one", NANO22, ports=["8080:80/tcp"]).name)
    eng.create("two", NANO22, ports=["0.0.0.0:8080:8080"])
    assert refused(eng.start, "two").message == (
        "failed to create endpoint two on network nat: "
        "HNS failed with error : The specified port already exists."
    )
    eng.create("udp", NANO22, ports=["8080:80/udp"])
    assert eng.start("udp").running
    eng.stop("one")
    assert eng.start("two").running


def test_shared_network_namespace(sim):
    eng = engine(sim)
    eng.create("base", NANO22)
    assert refused(
        eng.create, "side", NANO22, networks=["container:base"], isolation="hyperv"
    ).message == (
        "invalid network-mode: using the network stack of another container is not supported "
        "while using Hyper-V Containers"
    )
    assert (
        "port publishing"
        in refused(eng.create, "pp", NANO22, networks=["container:base"], ports=["80:80"]).message
    )
    eng.create("side", NANO22, networks=["container:base"], isolation="process")
    assert refused(eng.start, "side").message == (
        "cannot join network namespace of a non running container: container base is created"
    )
    eng.start("base")
    assert eng.start("side").running


def test_stored_fields_are_kept_as_given(sim):
    eng = engine(sim)
    container = eng.create(
        "full",
        NANO22,
        env=["A=1", "SECRET=x"],
        labels={"team": "blue"},
        mounts=["C:\\data:C:\\app\\data:ro"],
        restart_policy="on-failure:3",
        memory_bytes=512 * 1024 * 1024,
        cpus=1.5,
        entrypoint=["app.exe"],
    )
    data = eng.inspect("full")
    assert data["env"] == ["A=1", "SECRET=x"] and data["labels"] == {"team": "blue"}
    assert (data["memory_bytes"], data["cpus"], data["restart_policy"]) == (
        536870912,
        1.5,
        "on-failure:3",
    )
    assert data["id"] == container.id and data["running"] is False


def test_stop_remove_rename(sim):
    eng = engine(sim)
    eng.start(eng.create("svc", NANO22).name)
    assert refused(eng.remove, "svc").message == (
        'cannot remove container "svc": container is running: '
        "stop the container before removing or force remove"
    )
    assert (
        refused(eng.rename, "svc", "svc").message
        == "Renaming a container with the same name as its current name"
    )
    eng.create("other", NANO22)
    assert (
        "Error when allocating new name: Conflict." in refused(eng.rename, "svc", "other").message
    )
    eng.rename("svc", "svc2")
    assert eng.stop("svc2").state == "exited"
    assert eng.stop("svc2").state == "exited"  # stopping a stopped container is fine
    eng.remove("svc2")
    assert refused(eng.get, "svc2").message == "No such container: svc2"
    eng.start("other")
    eng.remove("other", force=True)
    assert eng.containers() == []


def test_container_exits_right_after_start_fault(sim):
    eng = engine(sim, "faulty")
    crashy = eng.start(eng.create("crashy", NANO22).name)
    assert (crashy.state, crashy.exit_code) == ("exited", 3)
    assert eng.start(eng.create("fine", NANO22).name).running
    for _ in range(2):
        refused(eng.pull, CORE22)  # the pull_failures fault
    eng.pull(CORE22)
    by_image = eng.start(eng.create("core", CORE22).name)
    assert (by_image.state, by_image.exit_code) == ("exited", 1)


def test_restart_policies_when_the_daemon_restarts(sim):
    eng = engine(sim)
    for name, policy in [
        ("always", "always"),
        ("unless", "unless-stopped"),
        ("never", "no"),
        ("stopped", "unless-stopped"),
    ]:
        eng.start(eng.create(name, NANO22, restart_policy=policy).name)
    eng.stop("stopped")
    eng.stop_service()
    assert not any(c.running for c in sim.host("h22").state.containers)
    eng.start_service()
    running = {c.name for c in sim.host("h22").state.containers if c.running}
    assert running == {"always", "unless"}
