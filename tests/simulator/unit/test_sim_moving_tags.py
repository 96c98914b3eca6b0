"""A registry whose tags move: the fleet file's ``later`` revisions and ``wcsim publish``."""

from __future__ import annotations

import pytest

from wcsim import cli

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: 10.0.20348.2113, later: [10.0.20348.2227, 10.0.20348.2322]}}
hosts:
  h22:
    os_version: 10.0.20348.2227
    features: [Containers]
    engine: {{version: "27.3.1"}}
    images: [{NANO}]
"""


@pytest.fixture
def moving(make_sim, write_fleet):
    return make_sim(write_fleet(FLEET))


def publish(sim, *args):
    return cli.main(["publish", "--state-dir", str(sim.state_dir), *args])


def test_publish_moves_the_tag_and_the_next_pull_gets_a_new_image(moving, capsys):
    engine = moving.host("h22").engine
    before = engine.image(NANO)
    assert before.os_version == "10.0.20348.2113"
    image, changed = engine.pull(NANO)
    assert changed is False
    assert publish(moving, NANO, "10.0.20348.2227") == 0
    assert "now names the image of 10.0.20348.2227" in capsys.readouterr().out
    image, changed = engine.pull(NANO)
    assert changed is True
    assert image.os_version == "10.0.20348.2227" and image.id != before.id
    assert NANO.split("/", 1)[1] not in " ".join(engine.image(before.id).repo_tags)
    assert engine.image(NANO).id == image.id


def test_the_old_image_stays_pullable_by_its_digest(moving):
    engine = moving.host("h22").engine
    old_digest = engine.image(NANO).repo_digests[0]
    publish(moving, NANO, "10.0.20348.2227")
    engine.pull(NANO)
    engine.remove_image(old_digest)
    image, changed = engine.pull(old_digest)
    assert changed is True and image.os_version == "10.0.20348.2113"


def test_publish_refuses_a_revision_the_fleet_file_does_not_offer(moving, capsys):
    assert publish(moving, NANO, "10.0.20348.9999") == 1
    err = capsys.readouterr().err
    assert "offers revisions 10.0.20348.2113, 10.0.20348.2227, 10.0.20348.2322" in err
    assert publish(moving, "mcr.microsoft.com/windows/servercore:ltsc2022", "10.0.20348.2227") == 1
    assert "not in the fleet registry" in capsys.readouterr().err


def test_a_later_revision_of_another_build_is_a_fleet_error(make_sim, write_fleet):
    from wcsim.fleet import FleetError

    with pytest.raises(FleetError, match="another build"):
        make_sim(write_fleet(FLEET.replace("10.0.20348.2322", "10.0.26100.1")))


def test_remove_image_by_id_refuses_an_image_a_container_uses(moving):
    from wcsim.engine import EngineError

    engine = moving.host("h22").engine
    container = engine.create("web", NANO, isolation="process")
    image_id = engine.image(NANO).id
    with pytest.raises(EngineError, match=r"\(must be forced\) - image is being used by stopped"):
        engine.remove_image(image_id)
    engine.start("web")
    with pytest.raises(EngineError, match=r"\(cannot be forced\) - image is being used by running"):
        engine.remove_image(image_id)
    engine.stop("web")
    engine.remove(container.name)
    engine.remove_image(image_id)
    assert engine.image(NANO) is None
