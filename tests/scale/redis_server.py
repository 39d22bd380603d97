"""A real redis-server for one test: Debian's binary started in a temporary directory on a free port.

Tests that need it skip LOUDLY when the binary is missing (``.ci/run`` installs ``redis-server``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_DEBIAN = "/usr/bin/redis-server"
REDIS_BIN = shutil.which("redis-server") or (_DEBIAN if Path(_DEBIAN).exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """Start redis-server (no persistence) in ``tmp``; yields its URL; stops it after."""
    if REDIS_BIN is None:
        pytest.skip("SKIPPED LOUDLY: redis-server is not installed (apt-get install redis-server; .ci/run does it)")
    import redis

    port = free_port()
    d = tmp / "redis"
    d.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(d), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("redis-server did not start") from None
                time.sleep(0.02)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
