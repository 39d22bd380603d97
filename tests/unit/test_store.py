"""The journal: schema and migrations, one-line errors, exact Decimals, the batched writer, durability."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from arb import store
from arb.core.errors import StoreError
from arb.core.model import Episode, Leg, Opportunity
from arb.store import MIGRATIONS, MONEY, Journal, JournalDataError, JournalWriter
from tests.unit.conftest import BACKENDS, journal_location

D = Decimal
TABLES = {"runs", "episodes", "snapshots", "events", "orders", "fills", "balances", "exposures"}


# ---- builders ---------------------------------------------------------------------------
def opportunity(
    net_bps: str = "12.5", *, buy: str = "okx", sell: str = "binance", symbol: str = "BTC/USDT"
) -> Opportunity:
    amount = D("0.015")
    return Opportunity(
        symbol=symbol,
        buy=Leg(buy, "buy", amount, D("64000.10"), D("64000.20"), D("64010.0"), D("0.96"), 2),
        sell=Leg(sell, "sell", amount, D("64100.2"), D("64100.0"), D("64090.00"), D("0.9615"), 1),
        cost=D("960.0015"),
        proceeds=D("961.2"),
        gross_profit=D("3.12"),
        fees_quote=D("1.9215"),
        net_profit=D("1.1985"),
        net_bps=D(net_bps),
    )


def episode(
    ep_id: str, *, start_ms: int = 1_000, net_bps: str = "12.5", end_ms: int | None = None, **kw: Any
) -> Episode:
    opp = opportunity(net_bps, **kw)
    return Episode(
        id=ep_id,
        symbol=opp.symbol,
        buy_venue=opp.buy_venue,
        sell_venue=opp.sell_venue,
        start_ms=start_ms,
        last_ms=start_ms + 500,
        evaluations=3,
        peak=opp,
        last=opp,
        end_ms=end_ms,
        end_reason=None if end_ms is None else "gap",
    )


def intent(client_id: str = "arb-1-b", **kw: Any) -> dict[str, Any]:
    row = {
        "client_id": client_id,
        "run_id": "r1",
        "opportunity_id": "opp-1",
        "venue": "okx",
        "symbol": "BTC/USDT",
        "side": "buy",
        "type": "limit",
        "tif": "IOC",
        "amount": D("0.015"),
        "price": D("64010.0"),
        "created_ms": 10,
    }
    return row | kw


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.db"


@pytest.fixture
def journal(journal_at: str | Path) -> Iterator[Journal]:
    """A new journal on each backend (SQLite file, Postgres database)."""
    j = Journal.open(journal_at)
    yield j
    j.close()


@pytest.fixture
def sqlite_journal(path: Path) -> Iterator[Journal]:
    """For the checks made on the SQLite file itself."""
    j = Journal.open(path)
    yield j
    j.close()


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def assert_one_line_store_error(excinfo: pytest.ExceptionInfo[StoreError], *parts: str) -> None:
    text = str(excinfo.value)
    assert "\n" not in text and "Traceback" not in text
    assert excinfo.value.__cause__ is None  # raised "from None": no sqlite3 chain for the user
    for part in parts:
        assert part in text, text


# ---- schema and migrations ----------------------------------------------------------------
def test_new_journal_has_schema_wal_and_version(sqlite_journal: Journal, path: Path) -> None:
    journal = sqlite_journal
    con = raw(path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert tables >= TABLES
    assert {"episodes_symbol_start", "episodes_start", "events_ts"} <= indexes
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == journal.schema_version
    for table, columns in MONEY.items():
        types = {row[1]: row[2] for row in con.execute(f"PRAGMA table_info({table})")}
        assert all(types[c] == "TEXT" for c in columns), (table, types)


def test_reopening_does_not_migrate_again(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Journal.open(path).close()
    calls: list[int] = []

    def extra(db: Any) -> None:
        calls.append(1)
        db.execute("ALTER TABLE events ADD COLUMN seq INTEGER")

    monkeypatch.setattr(store, "MIGRATIONS", [*MIGRATIONS, extra])
    with Journal.open(path) as j:
        assert j.schema_version == len(MIGRATIONS) + 1
        j.write_batch([("event", {"ts_ms": 1, "kind": "stale", "seq": 7})])
    with Journal.open(path) as j:
        assert j.schema_version == len(MIGRATIONS) + 1
        assert j.events()[0]["seq"] == 7
    assert calls == [1]


def test_newer_schema_is_refused_in_one_line(path: Path) -> None:
    Journal.open(path).close()
    raw(path).execute(f"PRAGMA user_version = {len(MIGRATIONS) + 4}")
    with pytest.raises(StoreError) as excinfo:
        Journal.open(path)
    assert str(excinfo.value) == (
        f"journal {path} has schema version {len(MIGRATIONS) + 4}, this arb knows up to {len(MIGRATIONS)}; upgrade arb"
    )


@pytest.mark.parametrize(
    "content",
    [b"this is not a database, just text\n" * 200, b"SQLite format 3\x00" + b"\xff" * 8000],
    ids=["text", "bad-pages"],
)
def test_corrupt_file_is_a_one_line_store_error(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    with pytest.raises(StoreError) as excinfo:
        Journal.open(path)
    assert_one_line_store_error(excinfo, str(path), "corrupt")


def test_other_sqlite_database_is_not_taken_for_a_journal(path: Path) -> None:
    raw(path).execute("CREATE TABLE users (name TEXT)")
    with pytest.raises(StoreError) as excinfo:
        Journal.open(path)
    assert_one_line_store_error(excinfo, "not an arb journal")


_OPEN_AS_NOBODY = """
import os, sys
from arb.core.errors import StoreError
from arb.store import Journal
import arb.store.sqlite  # imported lazily by Journal.open: before the checkout may be unreadable to nobody
os.setgid(65534); os.setuid(65534)
try:
    Journal.open(sys.argv[1])
except StoreError as e:
    print(e)
else:
    print("OPENED")
"""


def test_unwritable_directory_is_a_one_line_store_error() -> None:
    d = Path(tempfile.mkdtemp())
    try:
        d.chmod(0o555)
        target = d / "journal.db"
        if os.geteuid() == 0:  # root ignores permissions: drop to nobody after imports
            out = subprocess.run(
                [sys.executable, "-c", _OPEN_AS_NOBODY, str(target)], capture_output=True, text=True, timeout=60
            )
            text = out.stdout.strip()
            assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        else:
            with pytest.raises(StoreError) as excinfo:
                Journal.open(target)
            text = str(excinfo.value)
        assert "\n" not in text and str(target) in text and "not writable" in text, text
    finally:
        d.chmod(0o755)
        d.rmdir()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (no file can be created there)")
def test_path_where_sqlite_cannot_create_a_file() -> None:
    with pytest.raises(StoreError) as excinfo:
        Journal.open("/proc/arb-journal-test.db")
    assert_one_line_store_error(excinfo, "/proc/arb-journal-test.db", "store.path")


def test_missing_journal_without_create_and_readonly(path: Path) -> None:
    for kwargs in ({"create": False}, {"readonly": True}):
        with pytest.raises(StoreError) as excinfo:
            Journal.open(path, **kwargs)
        assert_one_line_store_error(excinfo, "does not exist")
    assert not path.exists()


def test_readonly_journal_reads_but_refuses_writes(path: Path) -> None:
    with Journal.open(path) as j:
        j.start_run("alert", {}, now_ms=1, run_id="r1")
    with Journal.open(path, readonly=True) as ro:
        assert [r["id"] for r in ro.runs()] == ["r1"]
        with pytest.raises(StoreError) as excinfo:
            ro.start_run("alert", {}, now_ms=2)
        assert_one_line_store_error(excinfo, "read-only")


def test_write_while_another_writer_holds_the_lock(path: Path) -> None:
    Journal.open(path).close()
    other = raw(path)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO events (ts_ms, kind) VALUES (1, 'halt')")
    try:
        with Journal.open(path, busy_timeout_ms=50) as j:  # WAL: readers are not blocked
            assert j.events() == []
            with pytest.raises(StoreError) as excinfo:
                j.start_run("alert", {}, now_ms=1)
            assert_one_line_store_error(excinfo, "locked", str(path))
    finally:
        other.execute("ROLLBACK")


def test_open_while_another_process_holds_an_exclusive_lock(path: Path) -> None:
    other = raw(path)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as excinfo:
            Journal.open(path, busy_timeout_ms=50)
        assert_one_line_store_error(excinfo, "locked")
    finally:
        other.execute("ROLLBACK")


# ---- exact money ----------------------------------------------------------------------------
@pytest.fixture(scope="module", params=BACKENDS)
def shared_journal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    j = Journal.open(journal_location(request.param, tmp_path_factory.mktemp("hyp"), request))
    yield j
    j.close()


_n = iter(range(10**9))


@settings(max_examples=150, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
@example(D("1E-8"))
@example(D("1.500"))
@example(D("-0.00"))
@example(D("0E-10"))
@example(D("123456789012345678901234567.890123456789"))
def test_decimal_round_trips_exactly(shared_journal: Journal, x: Decimal) -> None:
    n = next(_n)
    shared_journal.write_batch([("balance", {"ts_ms": n, "venue": f"v{n}", "asset": "BTC", "free": x, "total": x})])
    (row,) = shared_journal.balances(venue=f"v{n}")
    shared_journal.record_order_intent(intent(f"c{n}", amount=x, price=x))
    order = shared_journal.get_order(f"c{n}")
    assert order is not None
    for out in (row["free"], row["total"], order["amount"], order["price"]):
        assert isinstance(out, Decimal)
        assert out == x and out.as_tuple() == x.as_tuple()  # same value, same exponent


def test_money_is_stored_as_text_never_real(sqlite_journal: Journal, path: Path) -> None:
    journal = sqlite_journal
    journal.write_batch([("balance", {"ts_ms": 1, "venue": "okx", "asset": "BTC", "free": 0.1, "used": D("1E-8")})])
    (row,) = journal.balances()
    assert row["free"] == D("0.1") and row["used"] == D("1E-8")  # a float goes through dec(): its repr
    assert raw(path).execute("SELECT typeof(free), typeof(used), used FROM balances").fetchone() == (
        "text",
        "text",
        "1E-8",
    )


def test_bad_money_is_a_data_error_and_nothing_is_written(journal: Journal) -> None:
    good = ("event", {"ts_ms": 1, "kind": "stale"})
    bad = ("balance", {"ts_ms": 1, "venue": "okx", "asset": "BTC", "free": "lots"})
    with pytest.raises(JournalDataError, match=r"balances\.free must be a number"):
        journal.write_batch([good, bad])
    with pytest.raises(JournalDataError, match="no column"):
        journal.write_batch([("event", {"ts_ms": 1, "kind": "x", "colour": "red"})])
    assert journal.events() == []


# ---- episodes, snapshots, events, fills ------------------------------------------------------
def test_episode_upsert_start_peak_end(journal: Journal) -> None:
    ep = episode("e1")
    journal.write_batch([("episode", Journal.episode_row(ep, "r1"))])
    assert journal.episodes()[0]["status"] == "open"
    ep.peak = opportunity("20.25")
    ep.end_ms, ep.end_reason, ep.evaluations = 9_000, "stale", 7
    journal.write_batch(
        [
            ("episode", Journal.episode_row(ep, "r1")),
            ("snapshot", {"episode_id": "e1", "kind": "end", "ts_ms": 9_000, "inputs_json": {"books": [1]}}),
        ]
    )
    (row,) = journal.episodes()
    assert row["status"] == "closed" and row["end_reason"] == "stale" and row["evaluations"] == 7
    assert row["duration_ms"] == 8_000 and row["peak_net_bps"] == D("20.25")
    assert row["peak_buy_vwap"] == D("64000.10") and row["peak_sell_limit"] == D("64090.00")
    assert row["last_net_bps"] == D("12.5")
    (snap,) = journal.snapshots("e1")
    assert snap["kind"] == "end" and snap["inputs_json"] == '{"books": [1]}'


def test_episode_filters(journal: Journal) -> None:
    journal.write_batch(
        [
            ("episode", Journal.episode_row(episode("a", start_ms=100, net_bps="9.5"), "r1")),
            ("episode", Journal.episode_row(episode("b", start_ms=200, net_bps="10"), "r1")),
            ("episode", Journal.episode_row(episode("c", start_ms=300, net_bps="100.01", sell="bybit"), "r1")),
            ("episode", Journal.episode_row(episode("d", start_ms=400, net_bps="50", symbol="ETH/USDT"), "r1")),
        ]
    )

    def ids(**kw: Any) -> list[str]:
        return [r["id"] for r in journal.episodes(**kw)]

    assert ids() == ["a", "b", "c", "d"]
    assert ids(symbol="BTC/USDT") == ["a", "b", "c"]
    assert ids(venue="bybit") == ["c"]
    assert ids(venue="okx") == ["a", "b", "c", "d"]  # either leg
    assert ids(since_ms=250) == ["c", "d"]
    assert ids(min_bps=D("10")) == ["b", "c", "d"]  # numeric, not text: "100.01" > "10" > "9.5"
    assert ids(min_bps=D("10"), limit=2) == ["b", "c"]
    assert ids(symbol="BTC/USDT", since_ms=150, min_bps=D("50")) == ["c"]
    assert ids(limit=1) == ["a"]


def test_events_and_duplicate_fills(journal: Journal) -> None:
    fill = {"client_id": "c1", "venue": "okx", "trade_id": "t1", "ts_ms": 5, "amount": D("0.01"), "price": D("1")}
    journal.write_batch(
        [
            ("event", {"run_id": "r1", "ts_ms": 1, "venue": "okx", "symbol": "BTC/USDT", "kind": "disconnect"}),
            ("event", {"run_id": "r1", "ts_ms": 2, "venue": "okx", "kind": "reconnect", "detail": "after 1 s"}),
            ("fill", fill),
        ]
    )
    journal.write_batch([("fill", fill | {"amount": D("99")})])  # the venue repeats a trade: ignored
    assert [e["kind"] for e in journal.events(venue="okx")] == ["disconnect", "reconnect"]
    assert [e["kind"] for e in journal.events(since_ms=2)] == ["reconnect"]
    assert [f["amount"] for f in journal.fills("c1")] == [D("0.01")]


def test_runs(journal: Journal) -> None:
    run_id = journal.start_run("paper", {"store": {"path": "x"}}, now_ms=1)
    journal.end_run(run_id, now_ms=2, status="ok")
    (run,) = journal.runs()
    assert run["mode"] == "paper" and run["ended_ms"] == 2 and run["status"] == "ok"
    assert run["config_json"] == '{"store": {"path": "x"}}' and run["arb_version"]
    with pytest.raises(StoreError, match="no run"):
        journal.end_run("nope", now_ms=3, status="ok")


# ---- orders: synchronous, durable, idempotent ---------------------------------------------------
def test_order_intent_is_committed_before_return(sqlite_journal: Journal, path: Path) -> None:
    journal = sqlite_journal
    assert journal.record_order_intent(intent()) is None
    other = raw(path)  # a second connection sees it at once: committed, not buffered
    assert other.execute("SELECT state, amount FROM orders WHERE client_id = 'arb-1-b'").fetchone() == (
        "intent",
        "0.015",
    )
    existing = journal.record_order_intent(intent(amount=D("5")))  # same client id: nothing written
    assert existing is not None and existing["amount"] == D("0.015") and existing["state"] == "intent"
    journal.update_order("arb-1-b", state="sent", venue_order_id="v9", updated_ms=11)
    assert other.execute("SELECT state, venue_order_id FROM orders").fetchone() == ("sent", "v9")


def test_open_intents_and_update_errors(journal: Journal) -> None:
    for i, state in enumerate(["intent", "sent", "open", "unknown", "closed", "canceled", "rejected"]):
        journal.record_order_intent(intent(f"c{i}", created_ms=i, state=state))
    assert [o["state"] for o in journal.open_intents()] == ["intent", "sent", "open", "unknown"]
    journal.update_order("c0", state="closed", filled=D("0.015"), avg_price=D("64000.1"), updated_ms=20)
    assert journal.get_order("c0") == journal.orders(state="closed")[0]
    assert journal.get_order("c0")["filled"] == D("0.015")  # type: ignore[index]
    with pytest.raises(StoreError, match="no order"):
        journal.update_order("missing", state="closed")
    with pytest.raises(JournalDataError):
        journal.update_order("c1", state="exploded")  # CHECK constraint


def test_exposures(journal: Journal) -> None:
    xid = journal.record_exposure(
        {"opportunity_id": "o1", "venue": "okx", "symbol": "BTC/USDT", "base_delta": D("-0.002"), "created_ms": 1}
    )
    assert [x["base_delta"] for x in journal.exposures("open")] == [D("-0.002")]
    journal.update_exposure(xid, state="flattened", updated_ms=2)
    assert journal.exposures("open") == [] and journal.exposures()[0]["state"] == "flattened"


# ---- the writer --------------------------------------------------------------------------------
def event(i: int) -> dict[str, Any]:
    return {"run_id": "r1", "ts_ms": i, "venue": "okx", "kind": "stale", "detail": str(i)}


async def test_writer_flushes_one_transaction_per_batch(journal: Journal, monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[int] = []
    write_batch = journal.write_batch

    def spy(items: list[tuple[str, dict[str, Any]]]) -> None:
        batches.append(len(items))
        write_batch(items)

    monkeypatch.setattr(journal, "write_batch", spy)
    writer = JournalWriter(journal, flush_ms=10_000)
    for i in range(100):
        assert writer.submit("event", event(i))
    await writer.flush()
    assert batches == [100] and writer.written == 100
    assert [e["ts_ms"] for e in journal.events()] == list(range(100))


async def test_writer_drops_and_counts_when_full(journal: Journal) -> None:
    writer = JournalWriter(journal, maxsize=5)
    accepted = [writer.submit("event", event(i)) for i in range(8)]
    assert accepted == [True] * 5 + [False] * 3 and writer.dropped == 3
    await writer.flush()
    assert writer.written == 5 and len(journal.events()) == 5
    with pytest.raises(ValueError, match="unknown journal kind"):
        writer.submit("gossip", {})


async def test_writer_runs_periodically_and_close_flushes_the_rest(journal: Journal) -> None:
    flushed = asyncio.Event()
    writer = JournalWriter(journal, flush_ms=5, on_flush=lambda n: flushed.set())
    task = asyncio.create_task(writer.run())
    for i in range(10):
        writer.submit("event", event(i))
    async with asyncio.timeout(5):
        await flushed.wait()
    assert writer.written >= 10
    for i in range(10, 30):
        writer.submit("event", event(i))
    await writer.close()
    async with asyncio.timeout(5):
        await task  # stop() makes run() return
    assert writer.written == 30 and len(journal.events()) == 30


async def test_cancelling_the_writer_flushes_before_reraising(journal: Journal) -> None:
    writer = JournalWriter(journal, flush_ms=60_000)
    task = asyncio.create_task(writer.run())
    await asyncio.sleep(0)  # let run() start waiting on its (long) interval
    for i in range(25):
        writer.submit("event", event(i))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert writer.written == 25 and len(journal.events()) == 25


async def test_writer_keeps_the_batch_while_the_journal_is_locked(path: Path) -> None:
    with Journal.open(path, busy_timeout_ms=20) as j:
        writer = JournalWriter(j)
        other = raw(path)
        other.execute("BEGIN IMMEDIATE")
        for i in range(5):
            writer.submit("event", event(i))
        await writer.flush()
        assert writer.errors == 1 and writer.written == 0 and writer.pending == 5
        other.execute("ROLLBACK")
        writer.submit("event", event(5))
        await writer.flush()
        assert writer.written == 6 and writer.pending == 0
        assert [e["ts_ms"] for e in j.events()] == list(range(6))  # order kept across the retry


async def test_writer_rejects_only_the_bad_row(journal: Journal) -> None:
    writer = JournalWriter(journal)
    writer.submit("event", event(1))
    writer.submit("balance", {"ts_ms": 1, "venue": "okx", "asset": "BTC", "free": "NaN"})
    writer.submit("event", event(2))
    await writer.flush()
    assert (writer.written, writer.rejected) == (2, 1)
    assert [e["ts_ms"] for e in journal.events()] == [1, 2]


# ---- durability: a hard kill loses at most the last flush interval -------------------------------
_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from arb.store import Journal, JournalWriter

    async def main(path):
        journal = Journal.open(path)
        writer = JournalWriter(journal, flush_ms=50, on_flush=lambda n: print(n, flush=True))
        task = asyncio.create_task(writer.run())
        i = 0
        while True:
            for _ in range(25):
                writer.submit("event", {"ts_ms": i, "kind": "tick", "detail": str(i)})
                i += 1
            await asyncio.sleep(0.002)

    asyncio.run(main(sys.argv[1]))
    """
)


def _read_lines(proc: subprocess.Popen[bytes], want: int, deadline_s: float) -> list[int]:
    """Counts the child printed, read as they arrive (no sleeps), until ``want`` lines or the deadline."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf, counts = b"", []
    deadline = time.monotonic() + deadline_s
    while len(counts) < want:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"child printed only {counts}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        assert chunk, f"child exited early (rc={proc.poll()}) after {counts}"
        buf += chunk
        *lines, buf = buf.split(b"\n")
        counts += [int(line) for line in lines if line.strip()]
    return counts


def test_sigkill_loses_at_most_the_last_flush_interval(path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        counts = _read_lines(proc, want=8, deadline_s=60)
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: the writer is busy writing the next batch
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, err.decode()
    counts += [int(line) for line in out.split(b"\n") if line.strip()]  # printed before the kill landed
    reported = max(counts)
    assert counts == sorted(counts) and reported > 0

    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with Journal.open(path) as j:  # opens cleanly after the kill
        ts = [e["ts_ms"] for e in j.events()]
    assert len(ts) >= reported  # everything reported flushed is there
    assert ts == list(range(len(ts)))  # in order, no holes: whole batches or nothing


def test_v1_journal_migrates_to_v2_keeping_fills(path: Path) -> None:
    """A journal written by schema v1 (fills unique per venue) opens migrated: fills kept, new key per order."""
    import sqlite3

    from sqlite_utils import Database

    from arb.store.schema import APPLICATION_ID, _v1

    con = sqlite3.connect(path)
    db = Database(con)
    _v1(db)
    con.execute("PRAGMA user_version = 1")
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("INSERT INTO fills (client_id, venue, trade_id, amount) VALUES ('c1', 'paper', 'paper-okx-1-1', '0.1')")
    con.commit()
    con.close()
    with Journal.open(path) as j:
        assert j.schema_version == len(MIGRATIONS)
        # the same paper trade id under another order (a second run) is a new fill, not a duplicate
        fill = {"client_id": "c2", "venue": "paper", "trade_id": "paper-okx-1-1", "amount": D("0.2")}
        j.write_batch([("fill", fill)])
        j.write_batch([("fill", fill)])
        assert [(f["client_id"], f["amount"]) for f in j.fills()] == [("c1", D("0.1")), ("c2", D("0.2"))]
