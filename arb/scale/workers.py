"""``--workers N``: N worker processes on this machine, one shard each (``--shard i/N``), supervised.

* The parent resolves ``scanner.symbols = "auto"`` once and hands every worker the same list
  (``ARB__SCANNER__SYMBOLS``), so the partitions agree.
* Trading workers share money and safety through a coordinator: ``--coordinator`` / ``scale.coordinator``,
  else a private ``redis-server`` the parent starts in a temporary directory on a free port and stops at
  the end (Debian's binary; without it the run stops with one line saying what to install or pass).
* A worker that dies of a signal (SIGKILL, OOM) is started again for the same shard: it waits for the old
  lease to end (its reservations are released then), reconciles the shard's journal (intents are looked
  up, never re-sent) and trades on. A worker that exits with an error stops the others; the parent exits
  with the first non-zero code. SIGINT/SIGTERM are passed on to every worker.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence

import click

from arb.core.errors import ConfigError

REDIS_BIN = "redis-server"
POLL_S = 0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server for this machine's workers only (127.0.0.1, free port, no persistence)."""
    binary = shutil.which(REDIS_BIN) or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if binary is None:
        raise ConfigError(
            "--workers N > 1 trades from several processes: give --coordinator redis://HOST:PORT "
            "(or scale.coordinator), or install redis-server (apt-get install redis-server) for a private one"
        )
    import redis

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="arb-redis-") as d:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "", "--appendonly", "no"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    redis.Redis.from_url(url).ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise ConfigError(f"{binary} did not start on 127.0.0.1:{port}") from None
                    time.sleep(0.02)
            click.echo(f"workers coordinate on a private redis-server at {url} (stopped at the end)", err=True)
            yield url
        finally:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)


def supervise(argv: Sequence[str], n: int, env: dict[str, str], *, restart: bool) -> int:
    """Run ``argv + --shard i/N`` for every i; restart a worker killed by a signal when ``restart``."""
    cmd = [sys.executable, "-m", "arb.cli", *argv]
    procs: dict[int, subprocess.Popen[bytes]] = {}
    stopping = False

    def start(i: int) -> None:
        procs[i] = subprocess.Popen([*cmd, "--shard", f"{i}/{n}"], env=env)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for p in procs.values():
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        for i in range(n):
            start(i)
        running = set(range(n))
        while running:
            time.sleep(POLL_S)
            for i in sorted(running):
                rc = procs[i].poll()
                if rc is None:
                    continue
                if rc < 0 and restart and not stopping:
                    click.echo(
                        f"worker {i}/{n} died ({signal.Signals(-rc).name}); starting it again: it waits for the "
                        "old lease, reconciles the shard's journal and trades on",
                        err=True,
                    )
                    start(i)
                    continue
                running.discard(i)
                if rc != 0 and not stopping:
                    code = code or (rc if rc > 0 else 1)
                    stop(signal.SIGTERM, None)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for p in procs.values():
            if p.poll() is None:
                p.kill()
    return code
