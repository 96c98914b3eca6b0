"""redaction: secrets are masked wherever they appear in what the controller returns."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import redaction as r


def test_exact_and_embedded_values_are_masked_in_nested_data():
    data = {
        "msg": "login failed for token s3cr3t-token: denied",
        "results": [{"stderr": "s3cr3t-token"}, ("pw-123", 5, None, True)],
        "ok": "nothing here",
    }
    out = r.redact(data, ["s3cr3t-token", "pw-123"])
    assert out == {
        "msg": f"login failed for token {r.MASK}: denied",
        "results": [{"stderr": r.MASK}, [r.MASK, 5, None, True]],
        "ok": "nothing here",
    }
    assert data["msg"].startswith("login failed for token s3cr3t")  # the input is not modified


def test_longest_secret_is_masked_first():
    out = r.redact("abcdef and abc", ["abc", "abcdef"])
    assert out == f"{r.MASK} and {r.MASK}"


def test_short_secrets_mask_only_exact_values():
    assert r.redact({"a": "1", "b": "port 1234"}, ["1"]) == {"a": r.MASK, "b": "port 1234"}


def test_no_secrets_returns_value_unchanged():
    value = {"a": ["b"]}
    assert r.redact(value, []) is value
    assert r.redact(value, [""]) is value


def test_secret_values_collects_from_nested_sources():
    values = r.secret_values({"A": "one", "B": 2}, [{"T": "three"}], None, ["", True])
    assert values == ["three", "one", "2"]


def test_mask_values_and_credentials():
    assert r.mask_values({"TOKEN": "x", "KEY": "y"}) == {"TOKEN": r.MASK, "KEY": r.MASK}
    assert r.mask_values(None) == {}
    creds = [{"registry": "r.example", "username": "u", "password": "p"}]
    assert r.mask_credentials(creds) == [
        {"registry": "r.example", "username": "u", "password": r.MASK}
    ]
    assert creds[0]["password"] == "p"


def test_workload_secrets_are_taken_from_raw_entries_and_json_text():
    raw = [
        {"name": "a", "secret_env": {"TOKEN": "tok-123456"}},
        '{"name": "b", "secret_env": {"PIN": "9876"}}',
        {"name": "c", "secret_env": '{"KEY": "json-secret"}'},
        "not json",
        {"name": "d", "secret_env": ["not", "a", "mapping"]},
    ]
    assert set(r.workload_secrets(raw)) == {"tok-123456", "9876", "json-secret"}
    text = '[{"name": "e", "secret_env": {"X": "from-survey"}}]'
    assert r.workload_secrets(text) == ["from-survey"]
    assert r.workload_secrets(None) == []
