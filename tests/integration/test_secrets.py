"""Issue 12 item 8: no credential ever leaves arb — every user-facing command at ``-vv``, as a process.

The loopback venues (OKX, Binance, Bybit dialects) run in this test's event loop with keys made for this
test; those keys, secrets and passphrases are in the environment of every command, as a user would have
them, and the notify target is a local apprise receiver whose URL carries a password. Each command of
``arb --help`` runs at ``-vv`` (ccxt then logs every request with its signed headers); afterwards no
credential string may appear in any command's stdout or stderr, in any journal (every table, every
column), in the report outputs (HTML, CSV, JSON), in the recording, or in any alert payload received.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import click
import pytest

from arb.cli import cli
from exchanges.sim.base import ApiKey
from tests.kit import run
from tests.kit.live import AliasedLoopback, config_dict, key_env, plant, toml_text
from tests.receiver import Receiver

VENUES = ("okx", "binance", "bybit")
LABEL = "leakcheck"
pytestmark = pytest.mark.slow


def leakcheck_keys() -> dict[str, list[ApiKey]]:
    tag = uuid.uuid4().hex[:10]
    return {
        v: [
            ApiKey(
                key=f"{v}-K3y-{tag}",
                secret=f"{v}-S3cret-{tag}",
                passphrase=f"{v}-Pa55-{tag}",
                permissions=frozenset({"read", "trade"}),
                label=LABEL,
            )
        ]
        for v in VENUES
    }


@pytest.fixture
async def sim() -> AsyncIterator[AliasedLoopback]:
    s = AliasedLoopback(
        venues=list(VENUES),
        symbols=["BTC/USDT"],
        seed=5,
        update_interval_ms=100,
        dislocation_rate_per_min=0.0,
        extra_keys=leakcheck_keys(),
    )
    await s.start()
    yield s
    await s.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as rx:
        yield rx


async def arb(*args: str, env: dict[str, str], cwd: Path, timeout_s: float = 60) -> tuple[int, str, str]:
    """``arb -vv *args``: debug logging on, so a secret anywhere in the logs would show."""
    return await run.arb("-vv", *args, env=env, cwd=cwd, timeout_s=timeout_s)


def journal_text(path: Path) -> str:
    """Every value of every row of every table of a SQLite file, as text."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        parts = []
        for t in tables:
            for row in con.execute(f'SELECT * FROM "{t}"'):  # table names from sqlite_master
                parts += [v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in row]
        return "\n".join(parts)
    finally:
        con.close()


def file_text(path: Path) -> str:
    if path.is_dir():
        return "\n".join(file_text(p) for p in sorted(path.rglob("*")) if p.is_file())
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:16].startswith(b"SQLite format 3"):
        return journal_text(path)
    return raw.decode(errors="replace")


CTL = [
    ("status", ()),
    ("pause", ()),
    ("resume", ()),
    ("disable", ("BTC/USDT/okx/binance",)),
    ("enable", ("BTC/USDT/okx/binance",)),
    ("exposures", ()),
    ("kill", ()),
]


def all_commands() -> set[str]:
    out = set()
    for name, cmd in cli.commands.items():
        if isinstance(cmd, click.Group):
            out |= {f"{name} {sub}" for sub in cmd.commands}
        else:
            out.add(name)
    return out


async def test_no_credential_in_any_output_of_any_command(
    sim: AliasedLoopback, receiver: Receiver, tmp_path: Path
) -> None:
    token = f"Notify-T0ken-{uuid.uuid4().hex[:10]}"
    env = key_env(sim, VENUES, key=LABEL) | {"ARB_API_TOKEN": f"Api-T0ken-{uuid.uuid4().hex}"}
    secrets = [*env.values(), token]
    env |= {"ARB_NOTIFY_TOKEN": token}  # lying around in the environment too
    notify = {"urls": [f"json://arbuser:{token}@127.0.0.1:{receiver.port}/hook"], "min_interval_s": 0}
    live = config_dict(sim, VENUES, tmp_path, notify=notify, execution={"on_partial": "hold"})
    alert = config_dict(sim, VENUES, tmp_path, mode="alert", notify=notify)
    (tmp_path / "live.toml").write_text(toml_text(live), encoding="utf-8")
    (tmp_path / "alert.toml").write_text(toml_text(alert), encoding="utf-8")
    bad = config_dict(sim, VENUES, tmp_path)  # a literal key in a header: refused, and not echoed
    bad["venues"]["okx"]["options"]["headers"] = {"OK-ACCESS-KEY": env["ARB_OKX_API_KEY"]}
    (tmp_path / "bad.toml").write_text(toml_text(bad), encoding="utf-8")
    plant(sim, "binance", 60.0)

    # phases run one after the other (the run before the commands that read its journal, record before
    # backtest, kill last); the commands of a phase run side by side
    phases: list[list[tuple[str, tuple[str, ...], set[int]]]] = [
        [
            ("--help", ("--help",), {0}),
            ("config check", ("config", "check", "live.toml"), {0}),
            ("config check", ("config", "check", "bad.toml"), {2}),
            ("config show", ("config", "show", "live.toml"), {0}),
            ("config show", ("config", "show", "--json", "live.toml"), {0}),
            ("doctor", ("doctor", "--config", "live.toml"), {0, 1}),
            ("doctor", ("doctor", "--config", "live.toml", "--json"), {0, 1}),
            ("scan", ("scan", "--config", "alert.toml", "--db", "scan.db", "--no-ui", "--duration", "2"), {0}),
            ("record", ("record", "-o", "rec.arbrec.gz", "--config", "alert.toml", "--duration", "2", "--no-ui"), {0}),
            ("demo", ("demo", "--duration", "2", "--no-ui", "--db", "demo.db", "--venues", "okx,binance"), {0}),
            ("sim", ("sim", "--venues", "okx", "--duration", "1"), {0}),
        ],
        [("run", ("run", "--config", "live.toml", "--live", "--yes", "--no-ui", "--duration", "4"), {0})],
        [
            ("opportunities", ("opportunities", "--config", "live.toml", "--format", "json"), {0}),
            ("opportunities", ("opportunities", "--db", "scan.db"), {0}),
            ("report", ("report", "--config", "live.toml", "--json", "--html", "report.html", "--csv", "csv"), {0}),
            ("backtest", ("backtest", "rec.arbrec.gz", "--config", "alert.toml", "--db", "bt.db", "--no-ui"), {0}),
        ],
        [
            ("kill", ("kill", "--config", "live.toml", "--reason", "leak check"), {0}),
            ("resume", ("resume", "--config", "live.toml", "--reason", "leak check"), {0}),
            ("rebalance", ("rebalance", "--config", "live.toml", "--json"), {0, 1}),
        ],
        # the control client with its token in the environment, against an address nothing answers
        # (exit 1, one line); tests/test_ctl.py checks the token never shows against a running server
        [(f"ctl {c}", ("ctl", "--url", "http://127.0.0.1:9", "--timeout", "2", c, *a), {1}) for c, a in CTL],
    ]
    missing = all_commands() - {label for phase in phases for label, _, _ in phase}
    assert not missing, f"commands not covered by the secrets test: {sorted(missing)}"

    texts: dict[str, str] = {}
    slots = asyncio.Semaphore(4)

    async def one(label: str, args: tuple[str, ...], codes: set[int]) -> None:
        async with slots:
            rc, out, err = await arb(*args, env=env, cwd=tmp_path)
        assert rc in codes, f"arb {' '.join(args)} -> {rc}\n{err[-3000:]}"
        assert "Traceback" not in err, err[-3000:]
        texts[f"arb {' '.join(args)}: stdout"] = out
        texts[f"arb {' '.join(args)}: stderr"] = err
        if label == "run":
            assert "OK-ACCESS-KEY" in err and "X-MBX-APIKEY" in err and "X-BAPI-API-KEY" in err  # -vv: headers
            assert sim.order_log, err[-3000:]  # it traded, with the keys
            await receiver.wait_for(1, timeout=10)

    for phase in phases:
        await asyncio.gather(*(one(*cmd) for cmd in phase))

    for name in ("arb.db", "scan.db", "bt.db", "demo.db", "report.html", "csv", "rec.arbrec.gz", "arb.kill"):
        path = tmp_path / name
        assert path.exists(), name
        texts[name] = file_text(path)
    for extra in tmp_path.glob("*.db*"):  # WAL/SHM files and anything else the commands wrote
        texts.setdefault(
            extra.name, file_text(extra) if extra.suffix == ".db" else extra.read_bytes().decode(errors="replace")
        )
    texts["alert payloads"] = json.dumps(receiver.requests)
    assert receiver.posts

    leaks = [(where, s) for where, text in texts.items() for s in secrets if s in text]
    assert not leaks, "credentials found: " + "; ".join(f"{s[:12]}… in {where}" for where, s in leaks)
    assert "REDACTED" in texts["arb run --config live.toml --live --yes --no-ui --duration 4: stderr"]
    with sqlite3.connect(tmp_path / "arb.db") as con:
        (config_json,) = con.execute("SELECT config_json FROM runs ORDER BY rowid DESC LIMIT 1").fetchone()
    assert "json://REDACTED" in config_json
