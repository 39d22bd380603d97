"""The replay's side of paper execution: recorded markets as a ccxt-shaped client, the live paper trader."""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro

from arb.config import Config, redact
from arb.core.model import Fee, Limits, MarketSpec
from arb.core.sizing import floor_to
from arb.review.backtest.clock import ReplayClock
from arb.review.backtest.reader import LazyBook
from arb.review.backtest.settings import Settings
from arb.review.record import Recording
from arb.store import Journal


def ccxt_market(m: MarketSpec, fee: Fee | None) -> dict[str, Any]:
    """A recorded market in ccxt's shape (what the trader and PaperVenue read)."""
    return {
        "id": m.symbol.replace("/", "-"),
        "symbol": m.symbol,
        "base": m.base,
        "quote": m.quote,
        "spot": True,
        "active": True,
        "type": "spot",
        "taker": None if fee is None else str(fee.taker),
        "precision": {"amount": str(m.amount_step), "price": str(m.price_step)},
        "limits": {
            "amount": {"min": m.min_amount, "max": m.max_amount},
            "cost": {"min": m.min_cost, "max": m.max_cost},
        },
    }


class ReplayMarket:
    """The market-data client of one venue during a replay: markets and the latest recorded books."""

    precisionMode = 4

    def __init__(self, venue: str, ccxt_id: str, markets: dict[str, MarketSpec], fees: dict[str, Fee]) -> None:
        self.venue, self.id = venue, ccxt_id
        self.specs = markets
        self.markets = {s: ccxt_market(m, fees.get(s)) for s, m in markets.items()}
        self.orderbooks: dict[str, dict[str, Any]] = {}
        self.has: dict[str, Any] = {}
        self._nonce = itertools.count(1)

    async def load_markets(self, reload: bool = False) -> dict[str, Any]:
        return self.markets

    def update(self, symbol: str, book: dict[str, Any]) -> dict[str, Any]:
        """Apply a recorded book to this symbol's one book object, in place, as ccxt does."""
        obj = self.orderbooks.setdefault(symbol, {"symbol": symbol})
        obj.update(bids=book["bids"], asks=book["asks"], timestamp=book.get("timestamp"), nonce=next(self._nonce))
        return obj

    def point(self, symbol: str, view: Any, timestamp: Any) -> dict[str, Any]:
        """The fast reader's :meth:`update`: this symbol's one book object now shows ``view`` (built on read)."""
        obj = self.orderbooks.get(symbol)
        if not isinstance(obj, LazyBook):
            obj = self.orderbooks[symbol] = LazyBook(symbol)
        obj.point(view, timestamp, next(self._nonce))
        return obj

    def amount_to_precision(self, symbol: str, amount: Any) -> str:
        step = self.specs[symbol].amount_step
        out = floor_to(Decimal(str(amount)), step)
        if out <= 0:
            raise ccxtpro.InvalidOrder(f"{self.venue} {symbol}: amount {amount} is below one lot ({step})")
        return str(out)

    async def fetch_order_book(self, symbol: str, limit: int | None = None) -> dict[str, Any]:
        return self.orderbooks[symbol]


# ------------------------------------------------------------------------------------ execution seam
NO_KILL_FILE = "/dev/null/arb-backtest.kill"  # can never exist: a backtest has no kill switch


def trader_config(settings: Settings, rec: Recording) -> Config:
    """The paper-mode config a live ``arb scan`` of the recorded venues would run with."""
    fees = rec.fees()
    venues = {
        v: {
            "ccxt_id": rec.header.get("ccxt_ids", {}).get(v, v),
            "fee_currency": next((f.currency for (v2, _), f in fees.items() if v2 == v), "received"),
        }
        for v in rec.venues
    }
    d = {
        "scanner": redact(settings.scanner) | {"venues": rec.venues, "symbols": rec.symbols},
        "venues": venues,
        "execution": redact(settings.execution) | {"mode": "paper"},
        "risk": redact(settings.risk) | {"kill_file": NO_KILL_FILE},
    }
    return Config.from_dict(d, env={}, source="<backtest>")


class PaperExecution:
    """The live paper trader (:class:`arb.trade.trader.Trader`: confirmation, cool-down, depth, risk gate,
    executor, :class:`arb.trade.paper.PaperVenue`) fed by the replay's engine instead of its own scanner.

    Built through the trader's constructor without a scanner (``scan=False``): the replay's engine feeds
    it (its sink hands on sightings and book handles), writes go straight to the journal and arb's own
    real-time pacing is off; markets and fees are the recording's.
    """

    def __init__(
        self,
        settings: Settings,
        rec: Recording,
        journal: Journal,
        run_id: str,
        clock: ReplayClock,
        markets: dict[str, ReplayMarket],
    ) -> None:
        from arb.trade.trader import Trader

        self.trader = Trader(
            trader_config(settings, rec),
            market_clients=markets,
            journal=journal,
            run_id=run_id,
            clock=clock.wall,
            scan=False,
            markets=rec.markets(),
            fees=rec.fees(),
        )

    @property
    def limits(self) -> Limits:
        return self.trader.limits

    @property
    def trades(self) -> int:
        return self.trader.trades_done

    async def start(self, tg: asyncio.TaskGroup) -> None:
        await self.trader.start(tg)

    async def finish(self) -> None:
        await self.trader.finish()
