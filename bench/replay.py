"""Benchmarks 6 and 7: `arb backtest` replay speed and a 4-combination sweep on a process pool.

The recording is made here, of the loopback market on its realistic profile (``arb record --loopback
--profile realistic``: simulators and recorder in their own processes, real ccxt.pro clients). The replay is
the paper mode of ``arb backtest`` (engine, risk gate, paper trader), in this process on one core: books per
second of the replay loop (wall and CPU). The sweep runs 4 combinations one after another, then on a pool of
2 processes, and checks the rows are the same.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COMBOS = [("scanner.min_net_bps", ["3", "8"]), ("scanner.max_notional", ["500", "1000"])]


def record(seconds: float, out: Path) -> dict[str, Any]:
    """``arb record --loopback --profile realistic`` for ``seconds``; its JSON summary."""
    cmd = [sys.executable, "-m", "arb.cli", "record", "--loopback", "--profile", "realistic"]
    cmd += ["--duration", str(seconds), "--out", str(out), "--no-ui", "--json"]
    p = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    if p.returncode != 0:
        raise RuntimeError(f"arb record failed ({p.returncode}): {p.stderr.strip()[-300:]}")
    summary: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    return summary


def replay(path: Path, repeat: int = 3) -> dict[str, Any]:
    """Replay ``path`` in paper mode ``repeat`` times; the best run's books per second (wall and CPU)."""
    from arb.review.backtest import Settings, backtest
    from arb.review.record import Recording

    runs = []
    tmp = Path(tempfile.mkdtemp(prefix="arb-bench-replay-"))
    try:
        for i in range(repeat):
            res = backtest(Recording.open(path), Settings(mode="paper"), tmp / f"r{i}.db")
            p = res.progress
            runs.append({"books": p.books, "wall_s": p.wall_s, "cpu_s": p.cpu_s, "trades": res.trades})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = min(runs, key=lambda r: r["wall_s"])
    return {
        "books": best["books"],
        "books_per_s_wall": round(best["books"] / best["wall_s"]),
        "books_per_s_cpu": round(best["books"] / min(r["cpu_s"] for r in runs)),
        "runs_books_per_s_wall": [round(r["books"] / r["wall_s"]) for r in runs],
        "trades": best["trades"],
    }


def sweep(path: Path, processes: int = 2) -> dict[str, Any]:
    """4 combinations sequentially and on ``processes`` worker processes: wall times, speed-up, same rows."""
    from arb.review.backtest import Settings, apply, grid
    from arb.review.backtest.sweep import Job, run_jobs

    base = Settings(mode="paper")
    tmp = Path(tempfile.mkdtemp(prefix="arb-bench-sweep-"))

    def jobs(tag: str) -> list[Job]:
        (tmp / tag).mkdir()
        return [
            Job(i, str(path), False, apply(base, combo), str(tmp / tag / f"sweep-{i:03d}.db"), dict(combo), "")
            for i, combo in enumerate(grid(COMBOS), 1)
        ]

    try:
        run_jobs(jobs("warm")[:1], processes=1)  # one-time costs (imports, the file's first read) timed in neither
        t_seqs, t_pars = [], []
        for n in range(2):  # alternated, best of two each: a preemption lands in one run, not in the ratio
            t0 = time.perf_counter()
            seq = run_jobs(jobs(f"seq{n}"), processes=1)
            t_seqs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            par = run_jobs(jobs(f"pool{n}"), processes=processes)
            t_pars.append(time.perf_counter() - t0)
        t_seq, t_par = min(t_seqs), min(t_pars)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in ("speed", "journal")} for r in rows]

    return {
        "combinations": len(seq),
        "processes": processes,
        "sequential_s": round(t_seq, 2),
        "pool_s": round(t_par, 2),
        "speedup": round(t_seq / t_par, 2),
        "same_rows": strip(seq) == strip(par),
        "cpus": os.cpu_count(),
    }


def measure(seconds: float = 20.0) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="arb-bench-rec-"))
    try:
        path = tmp / "realistic.arbrec.gz"
        summary = record(seconds, path)
        return {
            "recording": {"seconds": seconds, "books": summary.get("books")},
            "replay": replay(path),
            "sweep": sweep(path),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(measure(float(sys.argv[1]) if len(sys.argv) > 1 else 20.0), indent=1))
