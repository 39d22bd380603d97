"""The one way tests run ``arb`` commands: as users do, in a subprocess (``python -m arb.cli``).

- :func:`run_arb` — blocking, for sync tests: a :class:`subprocess.CompletedProcess` with text output;
- :func:`arb` — async, for tests that host loopback venues in their own event loop: ``(code, stdout, stderr)``;
- :func:`start_arb` — async, a running process to signal, read line by line or kill.

Every command gets :func:`arb_env`: the parent's environment without its ``ARB_*`` variables (a developer's
settings must not leak into a test), unbuffered output, plus the test's ``env`` on top.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ARB: tuple[str, ...] = (sys.executable, "-m", "arb.cli")


def arb_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a test's ``arb`` runs with: ours minus ``ARB_*``, ``PYTHONUNBUFFERED=1``, then ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARB_")}
    return {**base, "PYTHONUNBUFFERED": "1", **(env or {})}


def run_arb(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout_s: float = 90,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``arb *args`` to completion (killed and failed after ``timeout_s``)."""
    return subprocess.run(
        [*ARB, *args],
        env=arb_env(env),
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


async def start_arb(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    stdout: Any = asyncio.subprocess.PIPE,
    stderr: Any = asyncio.subprocess.PIPE,
    **kwargs: Any,
) -> asyncio.subprocess.Process:
    """Start ``arb *args`` and return the process (the caller waits for or kills it)."""
    return await asyncio.create_subprocess_exec(
        *ARB, *args, env=arb_env(env), cwd=cwd, stdout=stdout, stderr=stderr, **kwargs
    )


async def start_live_run(
    config: str | Path,
    env: Mapping[str, str] | None,
    *,
    duration_s: str | None = None,
    stdout: Any = asyncio.subprocess.PIPE,
    stderr: Any = asyncio.subprocess.PIPE,
) -> asyncio.subprocess.Process:
    """``arb run --config CONFIG --live --yes --no-ui [--duration S]``: a live run as the restart, kill and
    chaos tests start it (JSON lines on stdout)."""
    duration = ("--duration", duration_s) if duration_s is not None else ()
    args = ("run", "--config", str(config), "--live", "--yes", "--no-ui", *duration)
    return await start_arb(*args, env=env, stdout=stdout, stderr=stderr)


async def arb(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | str | None = None, timeout_s: float = 60
) -> tuple[int, str, str]:
    """Run ``arb *args`` to completion without blocking the event loop: ``(exit code, stdout, stderr)``.

    After ``timeout_s`` the process is killed and :class:`TimeoutError` raised (a hang fails, it never waits on).
    """
    proc = await start_arb(*args, env=env, cwd=cwd)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise TimeoutError(f"arb {' '.join(args)} still running after {timeout_s} s") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
