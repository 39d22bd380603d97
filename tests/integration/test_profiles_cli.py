"""`--profile` on the commands that start the loopback exchanges, as a user runs them (subprocesses)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arb.review.record import Recording
from arb.store import Journal
from tests.kit.run import run_arb

pytestmark = pytest.mark.slow


def test_demo_runs_on_the_realistic_profile_and_journals_which(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    p = run_arb("demo", "--profile", "realistic", "--no-ui", "--duration", "3", "--db", str(db), timeout_s=60)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    with Journal.open(db, readonly=True) as j:
        config = json.loads(j.runs()[-1]["config_json"])
    assert config["profile"] == "realistic"


def test_record_loopback_records_the_profile_in_its_header(tmp_path: Path) -> None:
    out = tmp_path / "books.arbrec.gz"
    p = run_arb(
        "record",
        "--loopback",
        "--profile",
        "realistic",
        "--symbols",
        "BTC/USDT",
        "--no-ui",
        "--duration",
        "2",
        "--out",
        str(out),
        timeout_s=60,
    )
    assert p.returncode == 0, p.stderr
    rec = Recording.open(out)
    assert rec.header["config"]["profile"] == "realistic"


@pytest.mark.parametrize("command", [["demo"], ["demo", "--paper"], ["record", "--loopback", "--out", "x.gz"]])
def test_an_unknown_profile_is_a_usage_error(command: list[str], tmp_path: Path) -> None:
    p = run_arb(*command, "--profile", "fast", cwd=tmp_path, timeout_s=30)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "'fast' is not one of 'demo', 'realistic'" in p.stderr
