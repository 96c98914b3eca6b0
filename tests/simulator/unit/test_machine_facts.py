"""container_host_info's machine facts: never kinder than Windows."""

from __future__ import annotations

import textwrap

import host_reads
import pytest

from wcsim.fleet import Fleet

FLEET = """
hosts:
  big: {os_version: "10.0.20348.2340", machine: physical, logical_processors: 128}
  nested: {os_version: "10.0.20348.2340", virtualization_extensions: true}
  bare-metal: {os_version: "10.0.20348.2340", machine: physical, virtualization_extensions: true}
"""


def machine(tmp_path, host):
    path = tmp_path / "fleet.yml"
    path.write_text(textwrap.dedent(FLEET), encoding="utf-8")
    fleet = Fleet.load(path, tmp_path / "state")
    rc, facts = host_reads.read(fleet, host)
    assert rc == 0, facts
    return facts["machine"]


def test_group_processors_cap_at_64(tmp_path):
    facts = machine(tmp_path, "big")
    assert (facts["logical_processors"], facts["group_processors"]) == (128, 64)


@pytest.mark.parametrize(
    ("host", "flags"), [("nested", False), ("bare-metal", True)], ids=["vm", "physical"]
)
def test_processor_flags_are_false_whenever_a_hypervisor_is_present(tmp_path, host, flags):
    facts = machine(tmp_path, host)
    assert facts["vm_monitor_mode_extensions"] is flags
    assert facts["second_level_address_translation"] is flags
    assert facts["hypervisor_present"] is not flags
