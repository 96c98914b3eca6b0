"""engine_release: credentials in the engine URL are refused and never echoed."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_release as er

SHA = "d" * 64


@pytest.mark.parametrize(
    "url",
    [
        "https://deploy:s3cr3tT0ken@mirror.example.com/docker-27.3.1.zip",
        "http://deploy:s3cr3tT0ken@mirror.example.com/docker-27.3.1.zip",
        "https://s3cr3tT0ken@mirror.example.com/docker-26.0.0.zip",
    ],
)
def test_credentials_in_the_url_are_refused_without_echoing_them(url):
    # The URL travels in module arguments, results and download errors: it is no place for a
    # password, and the refusal must not print it either.
    with pytest.raises(er.EngineReleaseError) as caught:
        er.validate_pin(
            host="ws1", runtime="docker", version="27.3.1", url=url, checksum=SHA, os_build=20348
        )
    assert caught.value.rule == "url_credentials"
    assert "s3cr3tT0ken" not in str(caught.value)
    assert "host 'ws1'" in str(caught.value) and "mirror.example.com" in str(caught.value)
