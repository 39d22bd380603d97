"""Sweeps: every combination of settings replayed on its own core — in this process, on a process pool,
or on a Ray cluster — with the same rows in the same order whichever runs them.

Each combination is a :class:`Job` (picklable: the recording's path, the settings, the journal to write);
:func:`run_job` replays it and reads the journal back into a row (PnL, Sharpe, drawdown, trades, …). A
replay is deterministic (virtual time, recorded books), so where it runs changes nothing but ``speed``
(recorded seconds per wall second, a timing). :func:`run_jobs` returns rows in job order.

Ray (``pip install -e '.[ray]'``): the workers open the recording and write the journals at the paths
given, so on a cluster of several machines both must be on a filesystem every node sees at that path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from arb.core.errors import ArbError
from arb.review.backtest.settings import Settings


class SweepError(ArbError):
    """A combination could not run (bad recording or setting, Ray unavailable): one line."""

    def __init__(self, message: str, *, bad_input: bool = False) -> None:
        super().__init__(message)
        self.bad_input = bad_input

    def __reduce__(self) -> Any:  # pickles across processes with its flag
        return (_sweep_error, (str(self), self.bad_input))


def _sweep_error(message: str, bad_input: bool) -> SweepError:
    return SweepError(message, bad_input=bad_input)


@dataclass(frozen=True, slots=True)
class Job:
    """One combination of a sweep: replay ``recording`` with ``settings`` into ``journal``."""

    index: int
    recording: str
    allow_truncated: bool
    settings: Settings
    journal: str
    params: dict[str, str]
    command: str
    capital: Decimal | None = None


def metrics(journal_path: Path, capital: Decimal | None = None) -> dict[str, Any]:
    """What a sweep row and ``arb backtest --json`` report of a replay's journal."""
    from arb.review.report import build, open_journal

    j = open_journal(str(journal_path))
    try:
        rep = build(j, capital=capital)
    finally:
        j.close()
    p = rep.summary["pnl"]
    dd = p["max_drawdown"] or {}
    return {
        "pnl": p["total"] or "0",
        "sharpe": p["sharpe"],
        "max_drawdown": dd.get("abs_quote", 0.0),
        "max_drawdown_pct": dd.get("pct_of_capital"),
        "trades": p["trades"],
        "win_rate": p["win_rate"],
        "episodes": rep.summary["episodes"]["detected"],
        "capture_rate": rep.summary["capture"]["rate"],
        "capital": p["capital"],
        "capital_source": p["capital_source"],
    }


def run_job(job: Job) -> dict[str, Any]:
    """Replay one combination and read its journal back into the sweep's row (runs in any process)."""
    from arb.review.backtest import backtest
    from arb.review.record import Recording, RecordingError

    path = Path(job.journal)
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    try:
        rec = Recording.open(job.recording, allow_truncated=job.allow_truncated)
        res = backtest(rec, job.settings, path)
    except RecordingError as e:
        raise SweepError(str(e), bad_input=True) from None
    except ArbError as e:
        raise SweepError(str(e)) from None
    return {
        "params": job.params,
        "journal": str(path),
        "run_id": res.run_id,
        "speed": round(res.progress.speed, 1),
        **metrics(path, job.capital),
        "command": job.command,
    }


def default_jobs() -> int:
    """Worker processes by default: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_jobs(
    jobs: list[Job],
    *,
    processes: int = 1,
    ray_address: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Rows of every job, in job order: on Ray at ``ray_address``, else on ``processes`` worker processes
    (1: here, one after another). ``on_done(n)`` after each finished job (n finished so far)."""
    done = on_done or (lambda _n: None)
    if ray_address is not None:
        return _on_ray(jobs, ray_address, done)
    if processes <= 1 or len(jobs) <= 1:
        rows = []
        for job in jobs:
            rows.append(run_job(job))
            done(len(rows))
        return rows
    results: dict[int, dict[str, Any]] = {}
    with ProcessPoolExecutor(max_workers=min(processes, len(jobs))) as pool:
        futures: dict[Future[dict[str, Any]], int] = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        pending = set(futures)
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    results[futures[f]] = f.result()
                done(len(results))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [results[i] for i in range(len(jobs))]


def _reachable(address: str, timeout_s: float = 5.0) -> None:
    """A ``host:port`` (or ``ray://host:port``) that nothing answers is one line now: Ray itself would
    retry for minutes. Other forms (``auto``) go to Ray as they are."""
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        raise SweepError(
            f"--ray {address}: nothing answers there ({e.strerror or type(e).__name__}); "
            "give the address of a running Ray cluster's head (ray start --head prints it)",
            bad_input=True,
        ) from None


def _on_ray(jobs: list[Job], address: str, done: Callable[[int], None]) -> list[dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise SweepError(
            "--ray needs the ray package, which is not installed: pip install -e '.[ray]'", bad_input=True
        ) from None
    import logging

    _reachable(address)
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")  # Ray's core logs its connection retries as warnings
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    except Exception as e:
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SweepError(f"--ray {address}: cannot connect to a Ray cluster there ({text})", bad_input=True) from None
    # Ray's workers do not share this process's working directory: give them absolute paths
    absolute = [
        replace(job, recording=str(Path(job.recording).resolve()), journal=str(Path(job.journal).resolve()))
        for job in jobs
    ]
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_job)
        refs = [remote.remote(job) for job in absolute]
        pending, finished = list(refs), 0
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                finished += len(ready)
                done(finished)
            return [row | {"journal": job.journal} for row, job in zip(ray.get(refs), jobs, strict=True)]
        except ray.exceptions.RayError as e:  # a task's own error, or a worker or node lost
            cause = getattr(e, "cause", None)
            if isinstance(cause, SweepError):
                raise SweepError(str(cause), bad_input=cause.bad_input) from None
            what = cause if isinstance(cause, BaseException) else e
            text = str(what).strip().splitlines()[-1] if str(what).strip() else ""
            raise SweepError(f"a combination failed on Ray: {type(what).__name__}: {text}"[:400]) from None
    finally:
        ray.shutdown()
