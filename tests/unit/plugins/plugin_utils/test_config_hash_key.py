"""The config hash label is never an unkeyed digest of a secret (issue 13, item 9)."""

from __future__ import annotations

import hashlib
import itertools
import json

from plan_builders import desired

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp


def _brute_force(label: str, build) -> str | None:
    """What the issue's tester did: recompute the label for every 4-digit PIN."""
    for digits in itertools.product("0123456789", repeat=4):
        pin = "".join(digits)
        if build(pin) == label:
            return pin
    return None


def test_without_a_key_no_secret_value_reaches_the_label():
    first = desired(hash_key=None, secret_env={"PIN": "4711"})
    second = desired(hash_key=None, secret_env={"PIN": "0815"})
    assert first.config_hash() == second.config_hash()
    assert first.config_hash().startswith("v2-sha256:")
    # ... but the names do: adding a secret variable is a change.
    assert desired(hash_key=None).config_hash() != first.config_hash()


def test_with_the_host_key_a_secret_change_changes_the_label_and_is_not_recoverable():
    label = desired(secret_env={"PIN": "4711"}).config_hash()
    assert label.startswith("v2-hmac-sha256:")
    assert label != desired(secret_env={"PIN": "0815"}).config_hash()

    def unkeyed(pin):  # the label format this replaces
        spec = desired(hash_key=None, secret_env={"PIN": pin})
        config = json.dumps({"secret_env": spec.spec.secret_env}, sort_keys=True)
        return "sha256:" + hashlib.sha256(config.encode()).hexdigest()

    assert _brute_force(label, unkeyed) is None
    # Only the key holder can test a guess.
    assert _brute_force(label, lambda pin: desired(secret_env={"PIN": pin}).config_hash()) == "4711"


def test_every_host_has_its_own_key():
    assert cp.host_hash_key("k", "h1") != cp.host_hash_key("k", "h2")
    assert cp.host_hash_key("k", "h1") != cp.host_hash_key("k2", "h1")
    a = desired(secret_env={"PIN": "1"}, hash_key=cp.host_hash_key("k", "h1"))
    b = desired(secret_env={"PIN": "1"}, hash_key=cp.host_hash_key("k", "h2"))
    assert a.config_hash() != b.config_hash()
