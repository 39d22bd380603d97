"""Backtest building blocks: the recording format, virtual time, settings overrides and sweep grids."""

from __future__ import annotations

import asyncio
import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.core.errors import ConfigError
from arb.core.model import Fee, MarketSpec
from arb.review import record as rec_mod
from arb.review.backtest import (
    ReplayMarket,
    Settings,
    apply,
    grid,
    override,
    parse_assignment,
    parse_value,
    run_virtual,
)
from arb.review.record import BookRecord, EventRecord, Recording, RecordingError, RecordingWriter, make_header
from arb.review.record import format as rec_format

D = Decimal
BTC = MarketSpec("BTC/USDT", "BTC", "USDT", D("0.00001"), D("0.1"), min_amount=D("0.0001"))


def header(depth: int = 3) -> dict[str, Any]:
    markets = {(v, "BTC/USDT"): BTC for v in ("okx", "bybit")}
    fees = {(v, "BTC/USDT"): Fee(D("0.001")) for v in ("okx", "bybit")}
    return make_header(
        venues=["okx", "bybit"],
        symbols=["BTC/USDT"],
        markets=markets,
        fees=fees,
        depth=depth,
        source="test",
        created_ms=1,
    )


def book(bids: list[tuple[float, float]], asks: list[tuple[float, float]], ts: int | None = None) -> dict[str, Any]:
    return {"bids": [list(x) for x in bids], "asks": [list(x) for x in asks], "timestamp": ts}


BOOKS = [
    ("okx", book([(100.0, 1.0), (99.9, 2.0), (99.8, 3.0), (99.7, 4.0)], [(100.1, 1.5), (100.2, 0.25)], 10)),
    ("bybit", book([(100.05, 0.1)], [(100.3, 0.2)], 11)),
    ("okx", book([(100.0, 0.5), (99.8, 3.0), (99.7, 4.0)], [(100.1, 1.5), (100.2, 0.25), (100.4, 9.0)], 12)),
    ("okx", book([(99.9, 2.0)], [(100.0, 7.0)], 13)),
]


def write(path: Path, depth: int = 3, trailer: bool = True) -> None:
    w = RecordingWriter(path, venues=["okx", "bybit"], symbols=["BTC/USDT"], depth=depth, header=header(depth))
    for i, (venue, b) in enumerate(BOOKS):
        w.book(venue, "BTC/USDT", b, 1000 + i, 50 + i)
        if i == 1:
            w.event("bybit", None, "disconnect", "NetworkError: gone", 1001, 51)
    if trailer:
        w.close()
    else:
        w.flush()
        w._fh.close()


def test_round_trip_rebuilds_every_top_n_book_exactly(tmp_path: Path) -> None:
    path = tmp_path / "r.arbrec.gz"
    write(path)
    r = Recording.open(path)
    got = list(r.records())
    books = [x for x in got if isinstance(x, BookRecord)]
    assert [(b.venue, b.book["bids"], b.book["asks"], b.book["timestamp"]) for b in books] == [
        (v, b["bids"][:3], b["asks"][:3], b["timestamp"]) for v, b in BOOKS
    ]
    assert [(b.t_ms, b.m_ms) for b in books] == [(1000, 50), (1001, 51), (1002, 52), (1003, 53)]
    ev = [x for x in got if isinstance(x, EventRecord)]
    assert [(e.venue, e.symbol, e.kind) for e in ev] == [("bybit", None, "disconnect")]
    assert r.trailer == {"books": 4, "states": 0, "events": 1}
    assert r.markets()[("okx", "BTC/USDT")] == BTC and r.fees()[("bybit", "BTC/USDT")].taker == D("0.001")


def test_updates_are_stored_as_changes_with_periodic_keyframes(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(rec_format, "KEYFRAME_EVERY", 1)
    path = tmp_path / "r.arbrec.gz"
    write(path)
    lines = [json.loads(x) for x in gzip.decompress(path.read_bytes()).splitlines()[1:]]
    kinds = [x[0] for x in lines]
    assert kinds == ["B", "B", "E", "D", "B", "Z"]
    change = lines[3]
    # 100.0 changed, 99.7 entered the top 3, 99.9 left; on the ask side 100.4 entered
    assert change[6] == [["100.0", "0.5"], ["99.7", "4.0"], ["99.9", "0"]] and change[7] == [["100.4", "9.0"]]


def test_recorder_writes_other_books_state_before_a_delivery(tmp_path: Path) -> None:
    """ccxt mutates book objects in place: what the engine reads of bybit when okx is delivered is recorded."""
    path = tmp_path / "r.arbrec.gz"
    rec = rec_mod.Recorder(path, venues=["okx", "bybit"], symbols=["BTC/USDT"], depth=3, wall_clock=lambda: 7)
    okx, bybit = book([(100.0, 1.0)], [(100.2, 1.0)]), book([(100.1, 1.0)], [(100.3, 1.0)])
    rec.on_book("bybit", "BTC/USDT", bybit, 1)
    rec.on_book("okx", "BTC/USDT", okx, 2)  # bybit unchanged: no state record
    bybit["asks"][0][1] = 5.0  # ccxt applied a bybit message; its watch loop has not delivered it yet
    rec.on_book("okx", "BTC/USDT", okx, 3)
    rec.start({("okx", "BTC/USDT"): BTC, ("bybit", "BTC/USDT"): BTC}, {})  # records before start are kept
    rec.close()
    kinds = [json.loads(x)[0] for x in gzip.decompress(path.read_bytes()).splitlines()[1:]]
    assert kinds == ["B", "B", "S", "D", "Z"]
    got = list(Recording.open(path).records())
    assert [(b.venue, b.delivered) for b in got] == [("bybit", True), ("okx", True), ("bybit", False), ("okx", True)]
    assert got[2].book["asks"] == [[100.3, 5.0]]  # type: ignore[union-attr]
    assert rec.books == 3


def test_levels_are_exact_strings(tmp_path: Path) -> None:
    path = tmp_path / "r.arbrec.gz"
    w = RecordingWriter(path, venues=["okx", "bybit"], symbols=["BTC/USDT"], depth=5, header=header(5))
    w.book("okx", "BTC/USDT", book([(0.1, 1e-08)], [(0.30000000000000004, 123456789.123)]), 1, 1)
    w.close()
    raw = json.loads(gzip.decompress(path.read_bytes()).splitlines()[1])
    assert raw[6] == [["0.1", "1e-08"]] and raw[7] == [["0.30000000000000004", "123456789.123"]]
    b = next(iter(Recording.open(path).records()))
    assert isinstance(b, BookRecord) and b.book["asks"][0] == [0.30000000000000004, 123456789.123]


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.write_bytes(b"not gzip at all"), "corrupt or not an arb recording"),
        (lambda p: p.write_bytes(gzip.compress(b'{"hello": 1}\n')), "not an arb recording"),
        (
            lambda p: p.write_bytes(gzip.compress(json.dumps({**header(), "version": 2}).encode() + b"\n")),
            "format version 2, this arb reads up to 1",
        ),
        (
            lambda p: p.write_bytes(gzip.compress(json.dumps({**header(), "markets": {"okx": {"X": {}}}}).encode())),
            "malformed header",
        ),
    ],
    ids=["missing", "not-gzip", "foreign", "newer", "bad-header"],
)
def test_unusable_recordings_are_one_line_errors(tmp_path: Path, setup: Any, words: str) -> None:
    path = tmp_path / "r.arbrec.gz"
    setup(path)
    with pytest.raises(RecordingError) as e:
        Recording.open(path)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_a_recording_without_its_end_marker_needs_allow_truncated(tmp_path: Path) -> None:
    path = tmp_path / "r.arbrec.gz"
    write(path, trailer=False)
    with pytest.raises(RecordingError, match="no end marker"):
        list(Recording.open(path).records())
    r = Recording.open(path, allow_truncated=True)
    assert sum(isinstance(x, BookRecord) for x in r.records()) == 4 and r.truncated


def test_a_cut_gzip_stream_is_corrupt_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "r.arbrec.gz"
    write(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(RecordingError, match="cut short or corrupt"):
        list(Recording.open(path).records())
    assert Recording.open(path, allow_truncated=True).header["depth"] == 3


def test_corrupt_record_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.arbrec.gz"
    path.write_bytes(gzip.compress(json.dumps(header()).encode() + b'\n["D",1,1,0,0,null,[],[]]\n'))
    with pytest.raises(RecordingError, match="corrupt at line 2"):
        list(Recording.open(path).records())


@pytest.mark.timeout(60)  # an hour of sleep that really waited would fail here, without a wall-clock assert
def test_virtual_time_runs_sleeps_and_timeouts_without_waiting() -> None:
    async def main() -> tuple[float, float, bool]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.sleep(3600)
        try:
            async with asyncio.timeout(0.5):
                await asyncio.Event().wait()
        except TimeoutError:
            timed_out = True
        return t0, loop.time(), timed_out

    t0, t1, timed_out = run_virtual(main(), start_s=100.0)
    assert t0 == 100.0 and t1 == pytest.approx(3700.5) and timed_out  # an hour and a half-second, in virtual time


def test_settings_overrides_validate_like_the_config() -> None:
    s = apply(
        Settings(),
        [
            ("scanner.min_net_bps", "3"),
            ("risk.daily_loss_limit", "50.5"),
            ("execution.paper_balances", "{okx = {USDT = 100}}"),
            ("mode", "alert"),
        ],
    )
    assert s.scanner.min_net_bps == D(3) and s.risk.daily_loss_limit == D("50.5") and s.mode == "alert"
    assert s.execution.paper_balances == {"okx": {"USDT": D(100)}}
    with pytest.raises(ConfigError, match="no such key"):
        override(Settings(), "scanner.min_bps", 3)
    with pytest.raises(ConfigError, match="min_net_bps"):
        override(Settings(), "scanner.min_net_bps", -1)
    with pytest.raises(ConfigError, match="look like"):
        override(Settings(), "store.path", "x")


def test_sweep_assignments_and_grid() -> None:
    assert parse_value("0.25") == 0.25 and parse_value("abc") == "abc" and parse_value("[1, 2]") == [1, 2]
    assert parse_assignment("scanner.min_net_bps=3,5") == ("scanner.min_net_bps", ["3", "5"])
    assert parse_assignment("execution.paper_balances={a = {X = 1}, b = {X = 2}}")[1] == ["{a = {X = 1}, b = {X = 2}}"]
    with pytest.raises(ConfigError):
        parse_assignment("scanner.min_net_bps")
    g = grid([("a", ["1", "2"]), ("b", ["x", "y"])])
    assert g == [[("a", "1"), ("b", "x")], [("a", "1"), ("b", "y")], [("a", "2"), ("b", "x")], [("a", "2"), ("b", "y")]]


def test_replay_market_truncates_to_the_lot() -> None:
    m = ReplayMarket("okx", "okx", {"BTC/USDT": BTC}, {"BTC/USDT": Fee(D("0.001"))})
    assert m.amount_to_precision("BTC/USDT", 0.123456789) == "0.12345"
    assert m.markets["BTC/USDT"]["taker"] == "0.001"
    with pytest.raises(Exception, match="below one lot"):
        m.amount_to_precision("BTC/USDT", 0.000001)
