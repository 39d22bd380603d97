"""README's exit-code convention, command by command, as a user runs them (subprocesses, no CliRunner).

0 success, 1 runtime failure, 2 usage / configuration / journal error; a failure is one line on stderr
starting with ``arb``, never a traceback. Each row is one command with one bad input.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.kit.builders import toml_text
from tests.kit.run import run_arb


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_okx(port: int) -> dict[str, object]:
    """ccxt options for an OKX whose REST and WebSocket endpoints are a closed local port."""
    base = f"http://127.0.0.1:{port}"
    urls = {"rest": base, "ws": f"ws://127.0.0.1:{port}/ws/v5"}
    return {
        "urls": {"api": urls, "test": urls},
        "options": {"fetchMarkets": {"types": ["spot"]}},
        "has": {"fetchCurrencies": False},
        "enableRateLimit": True,
        "timeout": 3000,
    }


def dead_config(tmp: Path, *, mode: str = "alert", **store: str) -> Path:
    """Two OKX venues on closed local ports (nothing listens): every network call fails at once."""
    venues = {"okx": dead_okx(closed_port()), "okx2": dead_okx(closed_port())}
    doc = {
        "scanner": {"symbols": ["BTC/USDT"], "venues": list(venues)},
        "venues": {name: {"ccxt_id": "okx", "options": opts} for name, opts in venues.items()},
        "execution": {"mode": mode},
        "risk": {"kill_file": str(tmp / "arb.kill")},
        "store": {"path": str(tmp / "arb.db"), "paper_path": str(tmp / "arb-paper.db")} | store,
    }
    if mode == "paper":
        doc["execution"]["paper_balances"] = {v: {"USDT": "1000", "BTC": "1"} for v in venues}  # type: ignore[index]
    path = tmp / "dead.toml"
    path.write_text(toml_text(doc))
    return path


def corrupt_db(tmp: Path) -> Path:
    p = tmp / "corrupt.db"
    p.write_bytes(b"this is not an SQLite file" * 200)
    return p


def good_db(tmp: Path) -> Path:
    from arb.store import Journal

    p = tmp / "good.db"
    Journal.open(str(p)).close()
    return p


def recording(tmp: Path) -> Path:
    from tests.unit.test_backtest_units import write

    p = tmp / "r.arbrec.gz"
    write(p)
    return p


def empty_recording(tmp: Path) -> Path:
    """What `arb record` used to leave when no venue was reachable: a header, no markets, no books."""
    from arb.review.record import Recorder

    p = tmp / "empty.arbrec.gz"
    Recorder(p, venues=["okx"], symbols=["BTC/USDT"]).close()
    return p


def bad_toml(tmp: Path) -> Path:
    p = tmp / "bad.toml"
    p.write_text('[scanner]\nmin_net_bps = "lots"\n')
    return p


Args = Callable[[Path], list[str]]
# (id, arguments built in a fresh directory, expected exit code, text the stderr line (or stdout:) must contain)
CASES: list[tuple[str, Args, int, str]] = [
    ("unknown-command", lambda t: ["frobnicate"], 2, "frobnicate"),
    ("unknown-option", lambda t: ["demo", "--frob"], 2, "--frob"),
    ("config-check-missing", lambda t: ["config", "check", str(t / "nope.toml")], 2, "nope.toml"),
    ("config-check-bad-value", lambda t: ["config", "check", str(bad_toml(t))], 2, "scanner.min_net_bps"),
    ("config-show-bad-value", lambda t: ["config", "show", str(bad_toml(t))], 2, "scanner.min_net_bps"),
    ("scan-bad-config", lambda t: ["scan", "--config", str(bad_toml(t))], 2, "scanner.min_net_bps"),
    (
        "scan-journal-unwritable",
        lambda t: ["scan", "--config", str(dead_config(t)), "--duration", "5", "--db", str(corrupt_db(t) / "j.db")],
        2,
        "j.db",
    ),
    (
        "scan-journal-corrupt",
        lambda t: ["scan", "--config", str(dead_config(t)), "--db", str(corrupt_db(t))],
        2,
        "corrupt",
    ),
    ("demo-unknown-venue", lambda t: ["demo", "--venues", "kraken", "--duration", "1"], 2, "kraken"),
    ("demo-paper-unknown-venue", lambda t: ["demo", "--paper", "--venues", "kraken", "--duration", "1"], 2, "kraken"),
    ("demo-no-symbols", lambda t: ["demo", "--symbols", ",", "--duration", "1"], 2, "--symbols"),
    ("demo-journal-corrupt", lambda t: ["demo", "--db", str(corrupt_db(t)), "--duration", "1"], 2, "corrupt"),
    (
        "demo-paper-journal-corrupt",
        lambda t: ["demo", "--paper", "--db", str(corrupt_db(t)), "--duration", "1"],
        2,
        "corrupt",
    ),
    ("opportunities-missing-db", lambda t: ["opportunities", "--db", str(t / "nope.db")], 2, "nope.db"),
    ("opportunities-corrupt-db", lambda t: ["opportunities", "--db", str(corrupt_db(t))], 2, "corrupt"),
    (
        "opportunities-bad-since",
        lambda t: ["opportunities", "--db", str(good_db(t)), "--since", "yesterday"],
        2,
        "--since",
    ),
    (
        "opportunities-bad-min-bps",
        lambda t: ["opportunities", "--db", str(good_db(t)), "--min-bps", "x"],
        2,
        "--min-bps",
    ),
    ("run-alert-mode", lambda t: ["run", "--config", str(dead_config(t))], 2, "execution.mode"),
    (
        "run-journal-corrupt",
        lambda t: ["run", "--config", str(dead_config(t, mode="paper", paper_path=str(corrupt_db(t))))],
        2,
        "corrupt",
    ),
    (
        "run-venues-unreachable",
        lambda t: ["run", "--config", str(dead_config(t, mode="paper")), "--no-ui", "--duration", "5"],
        1,
        "okx",
    ),
    ("resume-no-journal", lambda t: ["resume", "--config", str(dead_config(t))], 2, "nothing to resume"),
    ("resume-bad-config", lambda t: ["resume", "--config", str(bad_toml(t))], 2, "scanner.min_net_bps"),
    ("kill-bad-config", lambda t: ["kill", "--config", str(bad_toml(t))], 2, "scanner.min_net_bps"),
    ("doctor-check-fails", lambda t: ["doctor", "--config", str(dead_config(t))], 1, "stdout:FAIL okx"),
    ("report-corrupt-db", lambda t: ["report", "--db", str(corrupt_db(t))], 2, "corrupt"),
    ("report-bad-capital", lambda t: ["report", "--db", str(good_db(t)), "--capital", "lots"], 2, "--capital"),
    ("report-bad-since", lambda t: ["report", "--db", str(good_db(t)), "--since", "soon"], 2, "--since"),
    ("record-out-exists", lambda t: ["record", "--loopback", "--out", str(recording(t))], 2, "already exists"),
    (
        "record-unknown-venue",
        lambda t: ["record", "--loopback", "--venues", "kraken", "--out", str(t / "r.gz"), "--duration", "1"],
        2,
        "kraken",
    ),
    (
        "record-venues-unreachable",
        lambda t: ["record", "--config", str(dead_config(t)), "--out", str(t / "r.gz"), "--duration", "3", "--no-ui"],
        1,
        "nothing recorded",
    ),
    ("backtest-missing-file", lambda t: ["backtest", str(t / "nope.arbrec.gz")], 2, "nope.arbrec.gz"),
    ("backtest-empty-recording", lambda t: ["backtest", str(empty_recording(t))], 2, "holds no order books"),
    ("backtest-bad-set", lambda t: ["backtest", str(recording(t)), "--set", "scanner.frob=1"], 2, "scanner.frob"),
    (
        "backtest-bad-config",
        lambda t: ["backtest", str(recording(t)), "--config", str(bad_toml(t))],
        2,
        "scanner.min_net_bps",
    ),
    ("sim-unknown-venue", lambda t: ["sim", "--venues", "kraken"], 2, "kraken"),
]


@pytest.mark.parametrize(("args", "code", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_exit_code_and_one_line(tmp_path: Path, args: Args, code: int, needle: str) -> None:
    argv = args(tmp_path)
    done = run_arb(*argv, cwd=tmp_path, timeout_s=90)
    err = done.stderr
    assert "Traceback" not in err, err
    assert done.returncode == code, (done.returncode, err)
    if needle.startswith("stdout:"):  # a report on stdout (`arb doctor`'s FAIL lines), nothing on stderr
        assert needle.removeprefix("stdout:") in done.stdout and not err.strip(), (done.stdout, err)
    elif code:
        lines = [x for x in err.splitlines() if x.strip()]
        problem = [x for x in lines if x.startswith("arb")]
        assert problem, err
        assert needle in problem[-1], err
        if code == 2:
            assert len(lines) == 1, err


def test_paths_under_the_working_directory_are_shown_not_redacted(tmp_path: Path) -> None:
    """The shell's PWD is not a credential ("pwd" as a key name is): error lines keep the user's paths."""
    missing = tmp_path / "nope.db"
    done = run_arb(
        "opportunities",
        "--db",
        str(missing),
        cwd=tmp_path,
        env={"PWD": str(tmp_path), "OLDPWD": str(tmp_path.parent)},
        timeout_s=60,
    )
    assert done.returncode == 2 and str(missing) in done.stderr, done.stderr
    assert "REDACTED" not in done.stderr
