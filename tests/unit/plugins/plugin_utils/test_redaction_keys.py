"""redaction: a secret used as a mapping key is masked too (an engine message keyed by value)."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import redaction as r


def test_secret_in_a_mapping_key_is_masked():
    data = {"results": [{"Tr0ub4dor": "x", "env TOKEN=Tr0ub4dor": {"Tr0ub4dor": 1}}]}
    out = r.redact(data, ["Tr0ub4dor"])
    assert "Tr0ub4dor" not in repr(out)
    assert out == {"results": [{r.MASK: "x", f"env TOKEN={r.MASK}": {r.MASK: 1}}]}


def test_non_string_keys_are_kept():
    assert r.redact({1: "a", None: "Tr0ub4dor"}, ["Tr0ub4dor"]) == {1: "a", None: r.MASK}
