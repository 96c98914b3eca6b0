"""audit_rules: each rule fires on the fact that breaks it, stays quiet on a clean host,
and carries evidence and a fix."""

from __future__ import annotations

import pytest
from audit_builders import (
    CORE,
    HOSTVARS,
    IMAGES,
    NANO,
    WEB,
    clean_host,
    info,
    managed,
    unmanaged,
)

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_findings,
    audit_rules,
    container_plan,
)

TENANT = {"name": "tenant", "image": NANO, "trust_boundary": "fabrikam", "memory": "1g", "cpus": 1}


def run(host_info, hostvars=None, workloads=None, **kwargs):
    return audit_rules.audit_host(
        host_info,
        HOSTVARS if hostvars is None else hostvars,
        "ws2022",
        workloads=workloads,
        **kwargs,
    )


def findings(audit, rule_id=None):
    found = [f.to_dict() for f in audit.findings]
    return [f for f in found if rule_id is None or f["id"] == rule_id]


def one(audit, rule_id, container=None):
    matching = [
        f for f in findings(audit, rule_id) if container is None or f["container"] == container
    ]
    assert len(matching) == 1, findings(audit)
    finding = matching[0]
    assert finding["evidence"], finding
    assert finding["fix"] and finding["rule"], finding
    assert finding["severity"] == audit_findings.RULES[rule_id].severity
    assert finding["host"] == "ws2022"
    return finding


def ids(audit):
    return sorted({f.id for f in audit.findings})


def test_clean_host_has_no_findings():
    host_info, hostvars, workloads = clean_host()
    audit = run(host_info, hostvars, workloads)
    assert findings(audit) == []
    (view,) = audit.containers
    assert view["managed"] and view["isolation"] == "process" and view["user"] == "ContainerUser"
    assert view["trust_boundary"] == "contoso" and view["trust_level"] == "trusted"
    assert audit.facts["multi_tenant"] is False


# --- users ------------------------------------------------------------------------------


def test_admin_user_by_image_default_fires_with_the_image_as_evidence():
    host_info = info(containers=[unmanaged("tool", image=CORE, image_id=IMAGES[1]["id"])])
    audit = run(host_info, workloads=[])
    finding = one(audit, "WC-USER-ADMIN", "tool")
    assert finding["evidence"]["user"] == "ContainerAdministrator"
    assert finding["evidence"]["user_from"] == "image default"
    assert "ContainerUser" in finding["fix"]


def test_admin_user_explicit_fires_and_is_quiet_when_the_host_allows_it():
    host_info = info(containers=[unmanaged("tool", user="NT AUTHORITY\\SYSTEM")])
    one(run(host_info, workloads=[]), "WC-USER-ADMIN", "tool")
    allowed = dict(HOSTVARS, wincontainers_allow_container_admin=True)
    assert findings(run(host_info, allowed, []), "WC-USER-ADMIN") == []


def test_non_admin_user_does_not_fire():
    host_info = info(containers=[unmanaged("tool", user="ContainerUser")])
    assert findings(run(host_info, workloads=[]), "WC-USER-ADMIN") == []


# --- isolation vs trust -----------------------------------------------------------------


def test_managed_other_boundary_under_process_is_critical():
    container = managed(TENANT, isolation="process", boundary="fabrikam")
    audit = run(info(containers=[container]), workloads=[TENANT])
    finding = one(audit, "WC-ISO-TRUST", "tenant")
    assert finding["severity"] == "critical"
    assert finding["evidence"]["trust_boundary"] == "fabrikam"
    assert findings(audit, "WC-ISO-DOWNGRADED") == []


def test_inventory_saying_untrusted_counts_even_when_labels_say_trusted():
    workload = dict(WEB, trust_level="untrusted")
    container = managed(WEB)  # labels: trusted (inventory changed since)
    finding = one(run(info(containers=[container]), workloads=[workload]), "WC-ISO-TRUST", "web")
    assert finding["evidence"]["trust_level"] == "untrusted"
    assert finding["evidence"]["trust_from"] == "labels and inventory"


def test_managed_tenant_under_hyperv_does_not_fire():
    container = managed(TENANT, isolation="hyperv", boundary="fabrikam")
    assert findings(run(info(containers=[container]), workloads=[TENANT]), "WC-ISO-TRUST") == []


def test_accepted_downgrade_is_reported_as_medium_not_critical():
    container = managed(TENANT, isolation="process", boundary="fabrikam")
    hostvars = dict(HOSTVARS, wincontainers_allow_isolation_downgrade=True)
    audit = run(info(containers=[container]), hostvars, [TENANT])
    assert one(audit, "WC-ISO-DOWNGRADED", "tenant")["severity"] == "medium"
    assert findings(audit, "WC-ISO-TRUST") == []


def test_hostile_is_never_an_accepted_downgrade():
    workload = dict(TENANT, trust_level="hostile")
    container = managed(workload, isolation="process", boundary="fabrikam", level="hostile")
    hostvars = dict(HOSTVARS, wincontainers_allow_isolation_downgrade=True)
    one(run(info(containers=[container]), hostvars, [workload]), "WC-ISO-TRUST", "tenant")


def test_unmanaged_process_container_on_a_multi_tenant_host_is_critical():
    host_info = info(containers=[unmanaged("byhand", isolation="process")])
    audit = run(host_info, workloads=[TENANT])
    finding = one(audit, "WC-ISO-UNMANAGED-PROCESS", "byhand")
    assert "fabrikam" not in str(finding["evidence"]) or finding["evidence"]["multi_tenant_because"]
    # Single-tenant host: the container is unmanaged, but trust does not demand Hyper-V.
    single = run(host_info, workloads=[WEB])
    assert findings(single, "WC-ISO-UNMANAGED-PROCESS") == []
    # Hyper-V: no kernel shared.
    hyperv = run(info(containers=[unmanaged("byhand")]), workloads=[TENANT])
    assert findings(hyperv, "WC-ISO-UNMANAGED-PROCESS") == []


# --- unmanaged, drift, orphans, refused ---------------------------------------------------


def test_unmanaged_container_fires_and_managed_does_not():
    audit = run(info(containers=[managed(WEB), unmanaged("byhand")]), workloads=[WEB])
    one(audit, "WC-INV-UNMANAGED", "byhand")
    assert [f["container"] for f in findings(audit, "WC-INV-UNMANAGED")] == ["byhand"]


def test_drift_names_what_differs():
    container = managed(WEB, isolation="hyperv")  # labels say process, container runs hyperv
    finding = one(run(info(containers=[container]), workloads=[WEB]), "WC-INV-DRIFT", "web")
    assert "isolation" in finding["evidence"]["differences"]


def test_drift_when_inventory_changed_a_setting():
    changed = dict(WEB, memory="1g")
    finding = one(run(info(containers=[managed(WEB)]), workloads=[changed]), "WC-INV-DRIFT", "web")
    assert any("config_hash" in d for d in finding["evidence"]["differences"])


def test_drift_for_a_missing_and_a_stopped_workload():
    stopped = managed(WEB, state="exited", running=False)
    other = {"name": "api", "image": NANO, "memory": "512m", "cpus": 1}
    audit = run(info(containers=[stopped]), workloads=[WEB, other])
    assert one(audit, "WC-INV-DRIFT", "api")["evidence"]["differences"] == ["no such container"]
    assert "inventory says started" in one(audit, "WC-INV-DRIFT", "web")["detail"]


def test_orphan_fires_for_a_managed_container_no_longer_listed():
    audit = run(info(containers=[managed(WEB)]), workloads=[])
    one(audit, "WC-INV-ORPHAN", "web")
    other_owner = run(info(containers=[managed(WEB)]), workloads=[], owner="someone-else")
    assert findings(other_owner, "WC-INV-ORPHAN") == []


def test_refused_inventory_entry_is_a_finding_not_a_crash():
    bad = {
        "name": "web",
        "image": NANO,
        "volumes": ["\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine"],
    }
    audit = run(info(containers=[managed(WEB)]), workloads=[bad])
    finding = one(audit, "WC-INV-REFUSED")
    assert "engine-pipe-mount" in finding["detail"]
    assert any(n["id"] == "WC-INV-DRIFT" for n in audit.not_evaluated)


def test_missing_trust_boundary_is_high_and_makes_the_host_count_as_multi_tenant():
    audit = run(info(containers=[unmanaged("byhand", isolation="process")]), {}, [])
    one(audit, "WC-INV-NO-BOUNDARY")
    one(audit, "WC-ISO-UNMANAGED-PROCESS", "byhand")
    assert findings(run(*clean_host()[:1], HOSTVARS, [WEB]), "WC-INV-NO-BOUNDARY") == []


# --- isolation holes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "mount",
    [
        "\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine",
        "//./pipe/docker_engine://./pipe/docker_engine",
        "\\\\.\\PIPE\\Docker_Engine:\\\\.\\pipe\\x",
        "\\\\.\\pipe\\custom_engine:\\\\.\\pipe\\custom_engine",
    ],
)
def test_engine_pipe_in_every_spelling(mount):
    config = dict(
        info()["engine"]["daemon_config"], hosts=["npipe://", "npipe:////./pipe/custom_engine"]
    )
    engine = dict(info()["engine"], daemon_config=config)
    host_info = info(engine=engine, containers=[unmanaged("spy", mounts=[mount])])
    finding = one(run(host_info, workloads=[]), "WC-HOLE-ENGINE-PIPE", "spy")
    assert finding["evidence"]["mount"] == mount


def test_an_other_pipe_is_not_the_engine():
    host_info = info(
        containers=[unmanaged("app", mounts=["\\\\.\\pipe\\app_pipe:\\\\.\\pipe\\app_pipe"])]
    )
    assert findings(run(host_info, workloads=[]), "WC-HOLE-ENGINE-PIPE") == []


@pytest.mark.parametrize(
    ("mount", "rule_id"),
    [
        ("C:\\:C:\\host", "WC-HOLE-HOST-ROOT"),
        ("c::c:\\host:ro", "WC-HOLE-HOST-ROOT"),
        ("\\\\?\\D:\\:C:\\d", "WC-HOLE-HOST-ROOT"),
        ("C:\\Windows\\System32:C:\\sys", "WC-HOLE-SYSTEM-DIR"),
        ("c:\\program files:C:\\pf:ro", "WC-HOLE-SYSTEM-DIR"),
        ("C:\\Users:C:\\u", "WC-HOLE-SYSTEM-DIR"),
        ("C:\\ProgramData\\docker:C:\\d", "WC-HOLE-DATA-ROOT"),
        ("C:\\ProgramData\\docker\\volumes:C:\\v", "WC-HOLE-DATA-ROOT"),
        ("C:\\ProgramData:C:\\pd", "WC-HOLE-DATA-ROOT"),
    ],
)
def test_host_folder_mounts(mount, rule_id):
    host_info = info(containers=[unmanaged("app", mounts=[mount])])
    audit = run(host_info, workloads=[])
    assert one(audit, rule_id, "app")["evidence"]["mount"] == mount
    holes = [f["id"] for f in findings(audit) if f["id"].startswith("WC-HOLE")]
    assert holes == [rule_id]


def test_custom_data_root_is_recognised():
    engine = info()["engine"]
    engine["daemon_config"]["data-root"] = "D:\\docker"
    host_info = info(
        engine=engine, containers=[unmanaged("app", mounts=["d:\\docker\\image:C:\\i"])]
    )
    one(run(host_info, workloads=[]), "WC-HOLE-DATA-ROOT", "app")


@pytest.mark.parametrize(
    "mount", ["C:\\data\\app:C:\\app", "appdata:C:\\data", "C:\\ProgramData\\app:C:\\a"]
)
def test_ordinary_mounts_are_not_holes(mount):
    host_info = info(containers=[unmanaged("app", mounts=[mount])])
    assert [
        f for f in findings(run(host_info, workloads=[])) if f["id"].startswith("WC-HOLE")
    ] == []


def test_host_device_fires():
    device = "class/5B45201D-F2F2-4F3B-85BB-30FF1F953599"
    host_info = info(containers=[unmanaged("gpu", isolation="process", devices=[device])])
    assert (
        one(run(host_info, workloads=[]), "WC-HOLE-DEVICE", "gpu")["evidence"]["device"] == device
    )
    assert findings(run(info(containers=[unmanaged("gpu")]), workloads=[]), "WC-HOLE-DEVICE") == []


def test_shared_network_across_boundaries_fires_and_within_one_does_not():
    web = managed(WEB)
    tenant = managed(TENANT, isolation="process", boundary="fabrikam", network_mode="container:web")
    audit = run(info(containers=[web, tenant]), workloads=[WEB, TENANT])
    finding = one(audit, "WC-HOLE-SHARED-NETWORK", "tenant")
    assert finding["evidence"]["other_container"] == "web"
    side = {
        "name": "side",
        "image": NANO,
        "memory": "512m",
        "cpus": 1,
        "networks": ["container:web"],
    }
    sidecar = managed(side, network_mode="container:web-id", networks=[])
    same = run(info(containers=[web, sidecar]), workloads=[WEB, side])
    assert findings(same, "WC-HOLE-SHARED-NETWORK") == []
    byhand = unmanaged("byhand", isolation="process", network_mode="container:web")
    one(run(info(containers=[web, byhand]), workloads=[WEB]), "WC-HOLE-SHARED-NETWORK", "byhand")


# --- engine exposure ----------------------------------------------------------------------


def _engine(**config):
    engine = info()["engine"]
    engine["daemon_config"].update(config)
    return engine


def test_tcp_without_tlsverify_is_critical_and_with_tls_is_quiet():
    exposed = info(engine=_engine(hosts=["npipe://", "tcp://0.0.0.0:2375"]))
    finding = one(run(exposed, workloads=[]), "WC-ENG-TCP-NO-TLS")
    assert finding["evidence"]["hosts"] == ["tcp://0.0.0.0:2375"]
    tls = dict(tlsverify=True, tlscacert="C:\\ca.pem", tlscert="C:\\c.pem", tlskey="C:\\k.pem")
    safe = info(engine=_engine(hosts=["tcp://0.0.0.0:2376"], **tls))
    assert findings(run(safe, workloads=[]), "WC-ENG-TCP-NO-TLS") == []
    half = info(engine=_engine(hosts=["tcp://0.0.0.0:2376"], tlsverify=True))
    assert one(run(half, workloads=[]), "WC-ENG-TCP-NO-TLS")["evidence"]["missing"] == [
        "tlscacert",
        "tlscert",
        "tlskey",
    ]


def test_pipe_group_fires():
    finding = one(
        run(info(engine=_engine(group="docker-users")), workloads=[]), "WC-ENG-PIPE-GROUP"
    )
    assert finding["evidence"]["group"] == "docker-users"
    assert "container_host_daemon_group" in finding["fix"]


def test_multi_tenant_host_needs_hyperv_default_isolation():
    audit = run(info(), workloads=[TENANT])
    finding = one(audit, "WC-ENG-NO-HYPERV-DEFAULT")
    assert finding["evidence"]["default_isolation"] == "process"
    hardened = info(engine=_engine(**{"exec-opts": ["isolation=hyperv"]}))
    assert findings(run(hardened, workloads=[TENANT]), "WC-ENG-NO-HYPERV-DEFAULT") == []
    assert findings(run(info(), workloads=[WEB]), "WC-ENG-NO-HYPERV-DEFAULT") == []


def test_engine_20_10_on_2016_says_what_to_use_instead():
    host_info = info(
        os={"version": "10.0.14393.7000", "build": 14393, "revision": 7000},
        engine=dict(info()["engine"], version="20.10.24"),
        images=[],
    )
    finding = one(run(host_info, workloads=[]), "WC-ENG-UNSUPPORTED")
    assert "Mirantis Container Runtime" in finding["fix"] and "2019" in finding["fix"]
    on_2022 = one(
        run(info(engine=dict(info()["engine"], version="20.10.24")), workloads=[]),
        "WC-ENG-UNSUPPORTED",
    )
    assert "container_host_engine_version" in on_2022["fix"]
    assert findings(run(info(), workloads=[]), "WC-ENG-UNSUPPORTED") == []


def test_data_root_acl_is_skipped_when_not_reported_and_checked_when_it_is():
    audit = run(info(), workloads=[])
    assert {"WC-ENG-DATA-ROOT-ACL"} <= {n["id"] for n in audit.not_evaluated}
    loose = [
        {"identity": "BUILTIN\\Administrators", "rights": "FullControl", "type": "Allow"},
        {"identity": "BUILTIN\\Users", "rights": "Modify, Synchronize", "type": "Allow"},
    ]
    engine = dict(info()["engine"], data_root_acl=loose)
    finding = one(run(info(engine=engine), workloads=[]), "WC-ENG-DATA-ROOT-ACL")
    assert finding["evidence"]["entries"] == ["BUILTIN\\Users: Modify, Synchronize"]
    strict = dict(info()["engine"], data_root_acl={"access": loose[:1]})
    assert findings(run(info(engine=strict), workloads=[]), "WC-ENG-DATA-ROOT-ACL") == []


# --- patch level ------------------------------------------------------------------------


def test_reboot_pending_fires():
    one(run(info(reboot_pending=True), workloads=[]), "WC-PATCH-REBOOT-PENDING")
    assert findings(run(info(), workloads=[]), "WC-PATCH-REBOOT-PENDING") == []


def test_a_patch_lease_on_the_host_lock_fires_with_its_record():
    lease = {
        "holder": "trustbound.wincontainers.container_updates (patch of h)",
        "since": "2026-12-01T10:00:00Z",
        "pid": 42,
        "lease_id": "trustbound.wincontainers.container_updates",
        "lease_until": "2026-12-01T14:00:00Z",
    }
    base = info()
    finding = one(run(dict(base, host_lock=lease), workloads=[]), "WC-PATCH-LEASE")
    assert finding["evidence"]["lease_until"] == "2026-12-01T14:00:00Z"
    assert "pid" not in finding["evidence"]
    # A writer's record without a lease (a run changing the host now) is not a finding.
    plain = {"holder": "deploy", "since": "2026-12-01T10:00:00Z", "pid": 7}
    assert findings(run(dict(base, host_lock=plain), workloads=[]), "WC-PATCH-LEASE") == []
    assert findings(run(dict(base, host_lock=None), workloads=[]), "WC-PATCH-LEASE") == []


def test_pending_updates_from_a_search_result():
    result = {
        "updates": {
            "a": {"kb": ["KB5040437"], "title": "2024-07 Cumulative Update", "installed": False},
            "b": {"kb": ["KB1"], "title": "done", "installed": True},
        }
    }
    finding = one(run(info(), workloads=[], updates=result), "WC-PATCH-UPDATES-PENDING")
    assert finding["evidence"]["updates"] == ["KB5040437 2024-07 Cumulative Update"]
    assert (
        findings(run(info(), workloads=[], updates={"updates": {}}), "WC-PATCH-UPDATES-PENDING")
        == []
    )
    skipped = run(info(), workloads=[])
    assert "WC-PATCH-UPDATES-PENDING" in {n["id"] for n in skipped.not_evaluated}


def test_image_revision_behind_host():
    images = [dict(IMAGES[0], os_version="10.0.20348.2113")]
    host_info = info(images=images, containers=[unmanaged("old")])
    finding = one(run(host_info, workloads=[]), "WC-PATCH-IMAGE-BEHIND", "old")
    assert finding["evidence"]["image_os_version"] == "10.0.20348.2113"
    # An older build under Hyper-V (a 1809 image on 2022) has no comparable revision.
    other_build = [dict(IMAGES[0], os_version="10.0.17763.100")]
    quiet = run(info(images=other_build, containers=[unmanaged("old")]), workloads=[])
    assert findings(quiet, "WC-PATCH-IMAGE-BEHIND") == []


def test_server_2016_process_isolation_needs_the_exact_revision():
    os_2016 = {"version": "10.0.14393.7000", "build": 14393, "revision": 7000}
    engine = dict(info()["engine"], version="20.10.24")
    newer = [dict(IMAGES[0], os_version="10.0.14393.7010")]
    host_info = info(
        os=os_2016, engine=engine, images=newer, containers=[unmanaged("app", isolation="process")]
    )
    finding = one(run(host_info, workloads=[]), "WC-PATCH-2016-REVISION", "app")
    assert finding["evidence"]["host_os_version"] == "10.0.14393.7000"
    exact = [dict(IMAGES[0], os_version="10.0.14393.7000")]
    same = info(
        os=os_2016, engine=engine, images=exact, containers=[unmanaged("app", isolation="process")]
    )
    assert findings(run(same, workloads=[]), "WC-PATCH-2016-REVISION") == []
    hyperv = info(os=os_2016, engine=engine, images=newer, containers=[unmanaged("app")])
    assert findings(run(hyperv, workloads=[]), "WC-PATCH-2016-REVISION") == []


# --- resources --------------------------------------------------------------------------


def test_no_limits_on_a_shared_host_fires_and_on_a_single_tenant_host_does_not():
    bare = unmanaged("bare", memory_bytes=0, cpus=0)
    finding = one(run(info(containers=[bare]), workloads=[TENANT]), "WC-RES-NO-LIMITS", "bare")
    assert "memory" in finding["detail"] and "cpus" in finding["detail"]
    assert findings(run(info(containers=[bare]), workloads=[WEB]), "WC-RES-NO-LIMITS") == []


# --- the catalogue ----------------------------------------------------------------------


def test_every_rule_has_a_severity_source_and_fix():
    for rule in audit_findings.RULES.values():
        assert rule.severity in audit_findings.SEVERITIES
        assert rule.source and rule.fix and rule.title
        assert rule.id.startswith("WC-")


def test_parse_mount_handles_drive_letters_and_pipes():
    assert audit_rules.parse_mount("C:\\data:C:\\app:ro") == {
        "source": "C:\\data",
        "target": "C:\\app",
        "read_only": True,
        "raw": "C:\\data:C:\\app:ro",
    }
    assert audit_rules.parse_mount("vol:C:\\data")["source"] == "vol"
    assert audit_rules.pipe_name("//./pipe/docker_engine") == "docker_engine"
    assert audit_rules.pipe_name("C:\\pipe\\docker_engine") is None


def test_docs_list_every_rule_with_its_severity():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[4] / "docs" / "audit.md").read_text(encoding="utf-8")
    for rule in audit_findings.RULES.values():
        assert f"| `{rule.id}` | {rule.severity} |" in docs, rule.id


def test_data_root_sddl_as_dockerd_sets_it_is_quiet_and_an_inherited_one_fires():
    own = dict(info()["engine"], data_root_sddl="D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)")
    assert findings(run(info(engine=own), workloads=[]), "WC-ENG-DATA-ROOT-ACL") == []
    inherited = "D:AI(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;BU)"
    engine = dict(info()["engine"], data_root_sddl=inherited, data_root="C:\\ProgramData\\docker")
    finding = one(run(info(engine=engine), workloads=[]), "WC-ENG-DATA-ROOT-ACL")
    assert finding["evidence"]["entries"][0].startswith("not protected")
    assert any("BU is allowed 0x1200a9" in e for e in finding["evidence"]["entries"])


def test_keyed_config_hash_is_drift_only_under_another_key():
    key = container_plan.host_hash_key("a vaulted master key", "ws2022")
    secret_web = dict(WEB, secret_env={"TOKEN": "s3cret"})
    deployed = managed(secret_web, hash_key=key)
    same = run(info(containers=[deployed]), workloads=[secret_web], hash_key=key)
    assert not [f for f in same.findings if f["id"] == "WC-INV-DRIFT"]
    other = container_plan.host_hash_key("another key", "ws2022")
    drifted = run(info(containers=[deployed]), workloads=[secret_web], hash_key=other)
    assert one(drifted, "WC-INV-DRIFT", "web")
