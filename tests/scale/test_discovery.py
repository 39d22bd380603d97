"""scanner.symbols = "auto" on the loopback venues, which list different symbols: every active spot symbol
listed on at least two venues, filtered by quotes, 24 h quote volume and max_symbols; printed and journaled."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import ccxt.pro as ccxtpro
import pytest

from arb.scale.discovery import discover, select
from exchanges.sim.harness import LoopbackExchanges
from tests.kit.builders import toml_text
from tests.kit.run import arb

SYMBOLS = ["BTC/USDT", "ETH/USDT", "ADA/USDT", "LTC/USDT", "XRP/USDT", "DOGE/USDT", "TRX/USDT"]
# TRX only on bybit; LTC not on binance; ADA not on bybit; DOGE not on okx
UNLISTED = {"okx": ["TRX/USDT", "DOGE/USDT"], "binance": ["TRX/USDT", "LTC/USDT"], "bybit": ["ADA/USDT"]}
VOLUMES = {"BTC/USDT": 9e6, "ETH/USDT": 5e6, "ADA/USDT": 2e6, "LTC/USDT": 2e6, "XRP/USDT": 4e5, "DOGE/USDT": 3e6}


def sim() -> LoopbackExchanges:
    return LoopbackExchanges(
        venues=["okx", "binance", "bybit"], symbols=SYMBOLS, seed=3, unlisted=UNLISTED, volumes=VOLUMES
    )


def test_select_ranks_by_the_second_venue_and_breaks_ties_by_name() -> None:
    listings = {"a": ["X/USDT", "Y/USDT", "Z/USDT", "Q/USDT"], "b": ["X/USDT", "Y/USDT", "Z/USDT"], "c": ["Q/USDT"]}
    vol = {
        "a": {"X/USDT": Decimal(100), "Y/USDT": Decimal(50), "Z/USDT": Decimal(50), "Q/USDT": Decimal(1)},
        "b": {"X/USDT": Decimal(1), "Y/USDT": Decimal(60), "Z/USDT": Decimal(70)},
        "c": {"Q/USDT": Decimal(9)},
    }
    chosen, vols, candidates = select(listings, vol, min_quote_volume=Decimal(2), max_symbols=2)
    assert candidates == 4  # Q on a and c counts as a candidate, volume 1 on its second venue
    assert chosen == ("Y/USDT", "Z/USDT")  # both 50 on their second venue: by name; X only 1 on b
    assert vols == {"Y/USDT": Decimal(50), "Z/USDT": Decimal(50)}


async def test_discover_on_the_sims_keeps_symbols_listed_twice() -> None:
    async with sim() as s:
        clients = {v: getattr(ccxtpro, v)(s.ccxt_config(v, None)) for v in s.venues}
        try:
            every = await discover(clients, quotes=["USDT"], min_quote_volume=Decimal(0), max_symbols=50)
            top = await discover(clients, quotes=["USDT"], min_quote_volume=Decimal("1e6"), max_symbols=3)
            none = await discover(clients, quotes=["USDC"], min_quote_volume=Decimal(0), max_symbols=50)
        finally:
            for c in clients.values():
                await c.close()
    assert every.listed == {"okx": 5, "binance": 5, "bybit": 6}
    assert every.symbols == ("BTC/USDT", "ETH/USDT", "DOGE/USDT", "ADA/USDT", "LTC/USDT", "XRP/USDT")
    assert "TRX/USDT" not in every.symbols  # listed on bybit only
    assert top.symbols == ("BTC/USDT", "ETH/USDT", "DOGE/USDT")  # volume ≥ 1e6 on two venues, best 3
    assert none.symbols == ()


async def test_arb_scan_auto_prints_and_journals_the_symbols(tmp_path: Path) -> None:
    async with sim() as s:
        venues = {v: {"options": s.ccxt_config(v, None)} for v in s.venues}
        db = tmp_path / "scan.db"
        cfg = tmp_path / "arb.toml"
        scanner = {"symbols": "auto", "venues": list(s.venues), "min_quote_volume": 1e6, "max_symbols": 4}
        cfg.write_text(toml_text({"scanner": scanner, "venues": venues, "store": {"path": str(db)}}))
        code, _out, err = await arb("scan", "--config", str(cfg), "--no-ui", "--duration", "1", timeout_s=60)
        bad = tmp_path / "bad.toml"
        bad.write_text(toml_text({"scanner": {**scanner, "quotes": ["EUR"]}, "venues": venues}))
        code_bad, _o, err_bad = await arb("scan", "--config", str(bad), "--no-ui", "--duration", "1")
    assert code == 0, err
    line = "symbols auto: 4 of 6 listed on two venues or more (listed: okx 5, binance 5, bybit 6): "
    assert line + "BTC/USDT, ETH/USDT, DOGE/USDT, ADA/USDT" in err
    with sqlite3.connect(db) as con:
        rows = con.execute("select detail from events where kind = 'symbols'").fetchall()
    assert [r[0] for r in rows] == [line + "BTC/USDT, ETH/USDT, DOGE/USDT, ADA/USDT"]
    assert code_bad == 2 and "Traceback" not in err_bad
    assert err_bad.strip().splitlines()[-1].startswith('arb: config: scanner.symbols = "auto": no symbol is listed')


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_arb_scan_workers_split_the_discovered_symbols_between_shards(tmp_path: Path) -> None:
    async with sim() as s:
        venues = {v: {"options": s.ccxt_config(v, None)} for v in s.venues}
        cfg = tmp_path / "arb.toml"
        scanner = {"symbols": "auto", "venues": list(s.venues), "min_quote_volume": 1e6}
        cfg.write_text(toml_text({"scanner": scanner, "venues": venues, "store": {"path": str(tmp_path / "s.db")}}))
        code, _out, err = await arb("scan", "--config", str(cfg), "--duration", "1", "--workers", "2", timeout_s=90)
    assert code == 0, err
    watched = []
    for i in (0, 1):
        with sqlite3.connect(tmp_path / f"s.shard{i}of2.db") as con:
            notes = [r[0] for r in con.execute("select detail from events where kind = 'symbols' order by id")]
        assert notes[0].startswith("symbols auto: 5 of 6")  # discovered once by the parent, journaled by each
        assert notes[1].startswith(f"shard {i}/2: ")
        watched.append(set(notes[1].split(": ", 1)[1].split(" symbols: ")[1].split(", ")))
    assert watched[0].isdisjoint(watched[1])
    assert watched[0] | watched[1] == {"BTC/USDT", "ETH/USDT", "DOGE/USDT", "ADA/USDT", "LTC/USDT"}
