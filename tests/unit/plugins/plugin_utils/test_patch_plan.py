"""Patch planning: the future OS revision from the searched updates, every workload re-decided."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_plan as pp
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import trust_policy

CORE16 = "mcr.microsoft.com/windows/servercore:ltsc2016"
NANO22 = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
PINNED = "mcr.microsoft.com/windows/servercore@sha256:" + "b" * 64
CU16 = "2024-01 Cumulative Update for Windows Server 2016 for x64-based Systems (KB5034119)"
SSU16 = "2024-01 Servicing Stack Update for Windows Server 2016 for x64-based Systems (KB5034232)"
CU22 = (
    "2024-01 Cumulative Update for Microsoft server operating system version 21H2"
    " for x64-based Systems (KB5034129)"
)


def image(ref, version, digest=None):
    return {
        "id": "sha256:" + format(abs(hash((ref, version))), "x").rjust(64, "0"),
        "repo_tags": [] if "@" in ref else [ref],
        "repo_digests": [ref] if "@" in ref else [],
        "os_version": version,
        "user": "ContainerUser",
    }


def info(version, images=(), hyperv=True, containers=()):
    build, revision = (int(x) for x in version.split(".")[2:])
    return {
        "os": {"version": version, "build": build, "revision": revision},
        "features": {"Containers": "Installed", "Hyper-V": "Installed" if hyperv else "Available"},
        "engine": {"installed": True, "service_state": "running"},
        "images": list(images),
        "containers": list(containers),
    }


def search(*updates):
    found = {}
    for index, (kb, title) in enumerate(updates):
        found[f"id-{index}"] = {
            "id": f"id-{index}",
            "kb": [kb.removeprefix("KB")],
            "title": title,
            "categories": ["Updates"],
        }
    return {"changed": False, "updates": found, "filtered_updates": {}}


HOSTVARS = {"wincontainers_trust_boundary": "acme"}
HOST16 = info("10.0.14393.6452", [image(CORE16, "10.0.14393.6452")])
HOST22 = info("10.0.20348.2113", [image(NANO22, "10.0.20348.2113")])


def plan(host_info, found, workloads, **kwargs):
    kwargs.setdefault("hostvars", HOSTVARS)
    return pp.plan_patch(host_info, found, workloads, host="h1", **kwargs)


def test_nothing_found_means_no_patch_and_every_workload_unchanged():
    result = plan(HOST22, search(), [{"name": "web", "image": NANO22}])
    assert result["patch"] is False and result["held"] is False
    assert result["version_after"] == "10.0.20348.2113"
    assert [w["status"] for w in result["workloads"]] == [pp.UNCHANGED]


def test_known_revision_predicts_the_future_version():
    result = plan(
        HOST22,
        search(("KB5034129", CU22)),
        [{"name": "web", "image": NANO22}],
        known_revisions={"KB5034129": "20348.2227"},
    )
    assert result["version_after"] == "10.0.20348.2227"
    assert result["revision_before"] == 2113 and result["revision_after"] == 2227
    assert result["patch"] is True
    assert result["workloads"][0]["status"] == pp.UNCHANGED
    assert result["updates"][0]["kb"] == "KB5034129"


def test_unknown_cumulative_update_on_2022_keeps_todays_revision_as_stand_in():
    result = plan(HOST22, search(("KB5034129", CU22)), [{"name": "web", "image": NANO22}])
    assert result["version_after"] is None
    assert result["patch"] is True
    assert result["workloads"][0]["status"] == pp.UNCHANGED


def test_servicing_stack_and_dotnet_bring_no_revision_and_ssu_comes_first():
    found = search(("KB5034119", CU16), ("KB5034232", SSU16))
    result = plan(HOST16, found, [], known_revisions={"KB5034119": 6614})
    assert [u["kb"] for u in result["updates"]] == ["KB5034232", "KB5034119"]
    assert result["servicing_stack_first"] is True
    assert result["servicing_stack_kbs"] == ["KB5034232"]
    assert result["version_after"] == "10.0.14393.6614"
    ssu_only = plan(HOST16, search(("KB5034232", SSU16)), [{"name": "app", "image": CORE16}])
    assert ssu_only["version_after"] == "10.0.14393.6452"
    assert ssu_only["workloads"][0]["status"] == pp.UNCHANGED and ssu_only["patch"] is True


def test_2016_process_workload_is_held_by_default_with_host_workload_and_rule():
    result = plan(
        HOST16,
        search(("KB5034119", CU16)),
        [{"name": "app", "image": CORE16}],
        known_revisions={"KB5034119": 6614},
    )
    assert result["patch"] is False and result["held"] is True
    (reason,) = result["hold_reasons"]
    assert "host 'h1', workload 'app'" in reason
    assert f"rule '{pp.RULE_PATCH_BREAKS}'" in reason
    assert "10.0.14393.6614" in reason
    assert result["workloads"][0]["status"] == pp.AFFECTED


def test_2016_unknown_future_revision_counts_as_differs_for_process_only():
    workloads = [
        {"name": "app", "image": CORE16},
        # No network: Server 2016 has one NAT network, which untrusted code may not share.
        {"name": "guest", "image": CORE16, "trust_level": "untrusted", "networks": ["none"]},
    ]
    result = plan(HOST16, search(("KB5034119", CU16)), workloads)
    status = {w["name"]: w["status"] for w in result["workloads"]}
    assert status == {"app": pp.AFFECTED, "guest": pp.UNCHANGED}
    assert "unknown" in result["hold_reasons"][0]


def test_hyperv_resolution_moves_an_auto_workload():
    result = plan(
        HOST16,
        search(("KB5034119", CU16)),
        [{"name": "app", "image": CORE16}],
        resolution="hyperv",
    )
    assert result["patch"] is True
    assert result["overrides"] == {"app": {"isolation": "hyperv"}}


def test_hyperv_resolution_refused_for_explicit_process_before_any_change():
    with pytest.raises(pp.PatchRefusal) as err:
        plan(
            HOST16,
            search(("KB5034119", CU16)),
            [{"name": "app", "image": CORE16, "isolation": "process"}],
            resolution="hyperv",
        )
    text = str(err.value)
    assert "host 'h1', workload 'app'" in text and pp.RULE_HYPERV_NOT_ALLOWED in text
    assert text.endswith("Nothing was changed.")


def test_hyperv_resolution_refused_when_the_host_has_no_hyperv():
    host = info("10.0.14393.6452", [image(CORE16, "10.0.14393.6452")], hyperv=False)
    with pytest.raises(pp.PatchRefusal) as err:
        plan(
            host,
            search(("KB5034119", CU16)),
            [{"name": "app", "image": CORE16}],
            resolution="hyperv",
        )
    assert trust_policy.RULE_HYPERV_UNAVAILABLE in str(err.value)


def test_refresh_needs_the_new_revision_and_checks_the_prestaged_image():
    result = plan(
        HOST16,
        search(("KB5034119", CU16)),
        [{"name": "app", "image": CORE16}],
        resolution="refresh",
        known_revisions={"KB5034119": 6614},
    )
    assert result["refresh"] == [
        {
            "workload": "app",
            "image": CORE16,
            "isolation": "process",
            "required_version": "10.0.14393.6614",
            "required_build": 14393,
        }
    ]
    good = pp.check_refresh(result, [{"action": "pull", "image": image(CORE16, "10.0.14393.6614")}])
    assert good["patch"] is True and good["hold_reasons"] == []
    stale = pp.check_refresh(
        result, [{"action": "pull", "image": image(CORE16, "10.0.14393.6452")}]
    )
    assert stale["patch"] is False
    assert "provides 10.0.14393.6452" in stale["hold_reasons"][0]
    assert "workload 'app'" in stale["hold_reasons"][0]
    missing = pp.check_refresh(result, [])
    assert missing["held"] is True and "was not pulled" in missing["hold_reasons"][0]


def test_refresh_refused_when_the_future_revision_is_unknown_on_2016():
    with pytest.raises(pp.PatchRefusal) as err:
        plan(
            HOST16,
            search(("KB5034119", CU16)),
            [{"name": "app", "image": CORE16}],
            resolution="refresh",
        )
    assert pp.RULE_REFRESH_NOT_POSSIBLE in str(err.value) and "known_revisions" in str(err.value)


def test_refresh_refused_for_a_digest_pinned_workload():
    host = info("10.0.14393.6452", [image(PINNED, "10.0.14393.6452")])
    with pytest.raises(pp.PatchRefusal) as err:
        plan(
            host,
            search(("KB5034119", CU16)),
            [{"name": "app", "image": PINNED}],
            resolution="refresh",
            known_revisions={"KB5034119": 6614},
        )
    assert "pinned by digest" in str(err.value)


def test_2022_image_newer_than_host_becomes_process_after_the_patch_is_not_affected():
    # Today: revision newer than host -> Hyper-V preferred; after the patch it matches.
    host = info("10.0.20348.2113", [image(NANO22, "10.0.20348.2227")])
    result = plan(
        host,
        search(("KB5034129", CU22)),
        [{"name": "web", "image": NANO22}],
        known_revisions={"KB5034129": 2227},
    )
    entry = result["workloads"][0]
    assert entry["current"]["isolation"] == "hyperv"
    assert entry["future"]["isolation"] == "process"
    assert entry["status"] == pp.AFFECTED  # a decision that changes is reported and resolved
    assert result["held"] is True


def test_workload_refused_today_is_refused_before_planning():
    with pytest.raises(trust_policy.PolicyError):
        plan(HOST22, search(), [{"name": "web", "image": NANO22, "user": "ContainerAdministrator"}])


def test_bad_resolution_and_bad_known_revision_are_refused():
    with pytest.raises(pp.PatchRefusal, match="bad-resolution"):
        plan(HOST22, search(), [], resolution="yolo")
    with pytest.raises(pp.PatchRefusal, match=pp.RULE_BAD_REVISION):
        plan(HOST22, search(("KB1", CU22)), [], known_revisions={"KB1": "soon"})
    with pytest.raises(pp.PatchRefusal, match=pp.RULE_BAD_REVISION):
        plan(HOST22, search(), [], known_revisions=["KB1"])


def test_failed_search_is_refused():
    with pytest.raises(pp.PatchRefusal, match="update search failed: boom"):
        plan(HOST22, {"failed": True, "msg": "boom"}, [])


def test_known_revision_none_says_no_new_revision():
    result = plan(
        HOST16,
        search(("KB1", "Some driver update")),
        [{"name": "app", "image": CORE16}],
        known_revisions={"KB1": "none"},
    )
    assert result["version_after"] == "10.0.14393.6452"
    assert result["workloads"][0]["status"] == pp.UNCHANGED


def test_unrecognised_update_title_makes_the_revision_unknown():
    result = plan(HOST16, search(("KB1", "Some driver update")), [{"name": "app", "image": CORE16}])
    assert result["version_after"] is None and result["held"] is True


def test_unmanaged_containers_are_listed():
    host = info(
        "10.0.20348.2113",
        [image(NANO22, "10.0.20348.2113")],
        containers=[{"name": "byhand", "image": NANO22, "state": "running", "labels": {}}],
    )
    result = plan(host, search(), [])
    assert result["unmanaged"] == [{"name": "byhand", "image": NANO22, "state": "running"}]


def test_updates_that_may_follow_the_servicing_stack_make_the_revision_unknown():
    found = search(("KB5034232", SSU16))
    result = plan(HOST16, found, [{"name": "app", "image": CORE16}], more_may_follow=True)
    assert result["version_after"] is None and result["more_may_follow"] is True
    assert result["held"] is True and result["patch"] is False
    assert "unknown" in result["hold_reasons"][0]


def test_refresh_holds_instead_of_refusing_while_the_updates_after_the_ssu_are_unseen():
    result = plan(
        HOST16,
        search(("KB5034232", SSU16)),
        [{"name": "app", "image": CORE16}],
        resolution="refresh",
        more_may_follow=True,
    )
    assert result["held"] is True and result["refresh"] == []
    assert "not visible yet" in result["hold_reasons"][0]


def test_a_known_revision_of_another_build_is_refused_only_for_an_offered_update():
    known = {"KB5034129": "17763.2227", "KB5034119": "14393.6614"}
    with pytest.raises(pp.PatchRefusal, match=r"is a revision of build 17763.*runs build 20348"):
        plan(HOST22, search(("KB5034129", CU22)), [], known_revisions=known)
    # One mapping serves a mixed fleet: the 2016 entry is not this host's concern.
    mixed = {"KB5034129": "20348.2227", "KB5034119": "14393.6614"}
    assert plan(HOST22, search(("KB5034129", CU22)), [], known_revisions=mixed)["patch"]


def owned(name, owner):
    labels = {
        "trustbound.wincontainers.managed": "true",
        "trustbound.wincontainers.workload": name,
        "trustbound.wincontainers.owner": owner,
    }
    return {"name": name, "image": NANO22, "state": "running", "labels": labels}


def test_a_patch_whose_restore_would_be_refused_is_refused_naming_the_owner_variable():
    host = info("10.0.20348.2113", [image(NANO22, "10.0.20348.2113")],
                containers=[owned("web", "example-inventory")])  # fmt: skip
    found = search(("KB5034129", CU22))
    known = {"KB5034129": "2227"}
    workloads = [{"name": "web", "image": NANO22}]
    with pytest.raises(pp.PatchRefusal, match="container-of-another-owner") as refused:
        plan(host, found, workloads, known_revisions=known, owner="trustbound.wincontainers")
    assert "set container_updates_owner" in str(refused.value)
    ok = plan(host, found, workloads, known_revisions=known, owner="example-inventory")
    assert ok["patch"] is True
    adopted = plan(host, found, workloads, known_revisions=known, owner="other", adopt=["web"])
    assert adopted["patch"] is True
    # Nothing to install: nothing is drained, so nothing is refused.
    assert plan(host, search(), workloads, owner="other")["patch"] is False


def test_a_restart_left_pending_is_a_patch_with_an_unknown_revision():
    pending = dict(search(), reboot_required=True)
    result = plan(HOST22, pending, [{"name": "web", "image": NANO22}])
    assert result["patch"] is True and result["restart_pending"] is True
    assert result["version_after"] is None
    # Server 2016: the revision after the restart is unknown, a process workload is held.
    held = plan(HOST16, pending, [{"name": "app", "image": CORE16}])
    assert held["patch"] is False and held["held"] is True
    assert plan(HOST22, search(), [])["restart_pending"] is False


def test_a_restore_the_trust_ceilings_would_refuse_is_refused_before_the_drain():
    hostile = {"name": "sandbox", "image": NANO22, "trust_level": "hostile", "memory": "2g"}
    found = search(("KB5034129", CU22))
    with pytest.raises(pp.PatchRefusal, match=r"sandbox.*Nothing was changed") as refused:
        plan(HOST22, found, [hostile], known_revisions={"KB5034129": "20348.2227"})
    assert refused.value.rule == "trust-limit-exceeded"
    raised = {**HOSTVARS, "wincontainers_trust_limits": {"hostile": {"memory": "4g", "cpus": 1}}}
    result = plan(
        HOST22, found, [hostile], known_revisions={"KB5034129": "20348.2227"}, hostvars=raised
    )
    assert result["patch"] is True
    # A host with nothing to install is not drained, so nothing is refused for the restore.
    assert plan(HOST22, search(), [hostile])["patch"] is False
