"""container_plan: a second run with the same inventory changes nothing, and shows no secret."""

from __future__ import annotations

import json

import pytest
from plan_builders import NANO, OWNER, deployed, desired

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.redaction import MASK

DIGEST = "sha256:" + "d" * 64


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"ports": ["8080:80", "8443:443"]}, {"ports": ["8443:443", "8080:80"]}),
        (
            {"volumes": ["C:\\a:C:\\a", "C:\\b:C:\\b:ro"]},
            {"volumes": ["C:\\b:C:\\b:ro", "C:\\a:C:\\a"]},
        ),
        ({"env": {"A": "1", "B": "2"}}, {"env": {"B": "2", "A": "1"}}),
        ({"labels": {"a": "1", "b": "2"}}, {"labels": {"b": "2", "a": "1"}}),
        ({"env": {"PORT": 8080}}, {"env": {"PORT": "8080"}}),
        ({"memory": "512m"}, {"memory": 536870912}),
        ({"cpus": 1}, {"cpus": "1.0"}),
        ({"restart_policy": False}, {"restart_policy": "no"}),
        ({}, {"restart_policy": "no", "memory": 0, "cpus": 0}),
    ],
)
def test_spellings_of_one_configuration_need_no_replacement(first, second):
    deployed_with = desired(**first)
    again = desired(**second)
    assert again.config_hash() == deployed_with.config_hash()
    assert cp.plan([again], [deployed(deployed_with)], owner=OWNER).steps == []


def test_network_order_still_counts():
    # The first network is given at create, the others connected after: order is config.
    assert desired(networks=["a", "b"]).config_hash() != desired(networks=["b", "a"]).config_hash()


def image(tags=(), digests=(), ident="sha256:1"):
    return {"id": ident, "repo_tags": list(tags), "repo_digests": list(digests)}


@pytest.mark.parametrize(
    ("ref", "local"),
    [
        ("library/nginx", image(["nginx:latest"])),
        ("docker.io/nginx", image(["nginx:latest"])),
        ("index.docker.io/library/nginx:1.25", image(["nginx:1.25"])),
        # docker pulls name:tag@digest by its digest; the tag is not what it stores.
        (f"nginx:1.25@{DIGEST}", image([], [f"nginx@{DIGEST}"])),
        (f"{NANO}@{DIGEST}", image([], [f"mcr.microsoft.com/windows/nanoserver@{DIGEST}"])),
        ("localhost:5000/team/app", image(["localhost:5000/team/app:latest"])),
    ],
)
def test_every_spelling_of_a_local_image_finds_it(ref, local):
    # Not found means a pull on every run and a decision without the image's OS version.
    assert cp.find_image([local], ref) is local


@pytest.mark.parametrize(
    ("ref", "local"),
    [
        ("nginx:1.25", image(["nginx:latest"])),
        (f"nginx@{DIGEST}", image(["nginx:latest"], [f"nginx@sha256:{'e' * 64}"])),
        ("other/nginx", image(["nginx:latest"])),
        ("registry.example.com/nginx", image(["nginx:latest"])),
    ],
)
def test_other_images_are_not_taken_for_it(ref, local):
    assert cp.find_image([local], ref) is None


def test_only_the_secrets_of_created_containers_travel():
    changed = desired(name="web", secret_env={"TOKEN": "web-token-value"})
    unchanged = desired(name="api", secret_env={"KEY": "api-key-value"})
    result = cp.plan([changed, unchanged], [deployed(unchanged)], owner=OWNER)
    assert result.secrets == {"web/TOKEN": "web-token-value"}
    assert cp.plan([unchanged], [deployed(unchanged)], owner=OWNER).secrets == {}


def test_the_config_hash_is_never_shown():
    # It covers secret values: a fast hash of a weak secret in a job log can be brute-forced
    # by whoever reads the log, who need not have any access to the engine.
    old = desired(secret_env={"TOKEN": "pin1234"})
    new = desired(secret_env={"TOKEN": "pin9876"})
    result = cp.plan([new], [deployed(old)], owner=OWNER)
    shown = json.dumps([cp.masked_steps(result.steps), result.diffs])
    assert old.config_hash() not in shown and new.config_hash() not in shown
    (diff,) = result.diffs
    assert diff["before"]["labels"][cp.LABEL_CONFIG_HASH] == MASK
    assert diff["after"]["labels"][cp.LABEL_CONFIG_HASH] == MASK
    create = cp.masked_steps(result.steps)[0]
    assert create["labels"][cp.LABEL_CONFIG_HASH] == MASK
    # ... while the host still gets the real one.
    assert result.steps[0]["labels"][cp.LABEL_CONFIG_HASH] == new.config_hash()


def test_a_mount_moby_lower_cased_shows_no_change_in_the_diff():
    from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan

    want = desired(mounts=["C:\\Data\\Web:C:\\App\\Data"])
    running = deployed(want, mounts=["c:\\data\\web:c:\\app\\data"])
    before = container_plan._summary_of_container(running)
    after = container_plan._summary_of_desired(want, OWNER)
    assert before["mounts"] == after["mounts"] == ["c:\\data\\web:c:\\app\\data"]
