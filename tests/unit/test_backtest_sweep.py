"""`arb backtest --sweep` on a process pool and on Ray gives the rows a sequential sweep gives, in the same order.

Commands run as users run them (subprocess). Rows are compared whole except ``speed`` (recorded seconds
per wall second: a timing) and the journal's directory (each sweep writes its own).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "backtest" / "demo20.arbrec.gz"
SWEEP = ["--sweep", "scanner.min_net_bps=5,30", "--set", "scanner.max_notional=300"]


def arb(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arb.cli", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def sweep(out: Path, *extra: str) -> list[dict[str, Any]]:
    p = arb("backtest", str(FIXTURE), *SWEEP, "--out", str(out), "--json", *extra)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    rows = json.loads(p.stdout)["runs"]
    for r in rows:
        del r["speed"]
        r["journal"] = Path(r["journal"]).name
    return rows


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return sweep(tmp_path_factory.mktemp("seq"), "--jobs", "1")


def test_process_pool_sweep_gives_the_sequential_rows_in_the_same_order(
    tmp_path: Path, sequential: list[dict[str, Any]]
) -> None:
    pooled = sweep(tmp_path / "pool", "--jobs", "2")
    assert pooled == sequential
    assert len(sequential) == 2 and sequential[0]["trades"] > 0, "the fixture must trade to prove anything"


def test_jobs_and_ray_need_a_sweep(tmp_path: Path) -> None:
    for opt in (["--jobs", "2", "--ray", "127.0.0.1:1"],):
        p = arb("backtest", str(FIXTURE), "--db", str(tmp_path / "x.db"), *opt)
        assert p.returncode == 2
        assert p.stderr.strip().splitlines() == [
            "arb: --jobs and --ray spread the combinations of a sweep: "
            "add --sweep, e.g. --sweep scanner.min_net_bps=3,5"
        ]


def test_ray_missing_is_one_clear_line(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "ray"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(shadow.parent)}
    p = arb("backtest", str(FIXTURE), *SWEEP, "--out", str(tmp_path / "o"), "--ray", "127.0.0.1:6379", env=env)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "arb: --ray needs the ray package, which is not installed: pip install -e '.[ray]'"
    ]


def test_a_ray_address_nothing_answers_is_one_line_at_once(tmp_path: Path) -> None:
    p = arb("backtest", str(FIXTURE), *SWEEP, "--out", str(tmp_path / "o"), "--ray", "127.0.0.1:1", timeout=60)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arb: --ray 127.0.0.1:1: nothing answers there"), p.stderr


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_ray_sweep_on_a_local_cluster_gives_the_sequential_rows(
    tmp_path: Path, sequential: list[dict[str, Any]]
) -> None:
    """A local Ray cluster started here (2 CPUs, no dashboard, its own temp dir); arb connects to it by address."""
    try:
        import ray
    except ImportError:
        pytest.skip("SKIPPED LOUDLY: ray is not installed (pip install -e '.[ray]'); the Ray sweep is untested")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    try:
        ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp, log_to_driver=False)
    except Exception as e:
        pytest.skip(f"SKIPPED LOUDLY: a local Ray cluster could not start ({type(e).__name__}: {e})")
    try:
        address = ray.get_runtime_context().gcs_address
        on_ray = sweep(tmp_path / "ray", "--ray", address)
    finally:
        ray.shutdown()
    assert on_ray == sequential
