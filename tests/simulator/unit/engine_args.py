"""The ``_engine_host`` option the container_engine action sends, for tests that call the
model directly: rendered by the collection's own plugin_utils, so the model and the
controller cannot drift apart unnoticed."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_host

ENGINE_HOST = engine_host.module_option(None)
