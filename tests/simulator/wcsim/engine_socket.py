"""The ``DOCKER_HOST`` a model runs the real docker CLI against, for one simulated host.

Under ``wcsim start`` every host's Engine API already listens at
``engine_api.socket_path(state_dir, host)``: ``serving`` yields that one. A fleet loaded
without the server (unit tests that call a model directly) gets a private socket for the
time of the call, serving the same ``EngineApi`` over the same host.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import engine_api


@contextlib.contextmanager
def serving(host: Any) -> Iterator[str]:
    state_dir = getattr(host.registry, "state_dir", None)
    if state_dir is not None:
        path = engine_api.socket_path(state_dir, host.name)
        if path.is_socket():
            yield f"unix://{path}"
            return
    with tempfile.TemporaryDirectory(prefix="wcsim-api-") as directory:
        path = Path(directory) / "engine.sock"
        server = engine_api._UnixServer(path, engine_api.EngineApi(host))
        thread = threading.Thread(
            target=server.serve_forever, name=f"engine-api-{host.name}", daemon=True
        )
        thread.start()
        try:
            yield f"unix://{path}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
