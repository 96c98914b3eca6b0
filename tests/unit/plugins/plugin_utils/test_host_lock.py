"""plugin_utils.host_lock: the wait every writer passes to the host lock, and its holder."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import host_lock
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal


@pytest.mark.parametrize("value", [0, 1, 300, host_lock.MAX_WAIT_SECONDS])
def test_waits_in_range_pass(value):
    assert host_lock.wait_seconds(value, "ws1", "x_lock_timeout") == value


def test_digit_text_from_a_survey_is_read_as_seconds():
    assert host_lock.wait_seconds(" 30 ", "ws1", "x_lock_timeout") == 30


@pytest.mark.parametrize(
    "value", [-1, host_lock.MAX_WAIT_SECONDS + 1, "3601", True, "soon", "-5", 2.5, None]
)
def test_other_waits_are_refused_naming_host_variable_and_rule(value):
    with pytest.raises(Refusal) as refused:
        host_lock.wait_seconds(value, "ws1", "x_lock_timeout")
    message = str(refused.value)
    assert "'ws1'" in message and "x_lock_timeout" in message
    assert refused.value.rule == "lock_timeout"


def test_the_holder_names_the_writer_detail_and_awx_job():
    text = host_lock.holder("mod", {"awx_job_id": 77}, "owner 'a'")
    assert text.startswith("mod (owner 'a', ")
    assert text.endswith(", AWX job 77)")


def test_the_holder_without_a_job_or_detail():
    text = host_lock.holder("mod", {})
    assert text.startswith("mod (") and "AWX" not in text and " pid " in text
