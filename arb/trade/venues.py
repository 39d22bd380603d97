"""Start-up facts about the venues a run trades on, resolved once before the scanner starts.

* Markets per (venue, symbol) (:class:`~arb.core.model.MarketSpec`), from ``load_markets`` unless known
  (a recording's).
* The taker fee per (venue, symbol), in this order: known (a recording's), the config's override, the
  account's own rate (``fetch_trading_fee``, live with keys), ccxt's market default. Its source is journaled
  (event ``fee``), so every alert and row of the run uses the fee it will trade with.
* Paper mode's order clients: a :class:`~arb.trade.paper.PaperVenue` per venue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from arb.config import Config
from arb.core.errors import ArbError
from arb.core.kinds import EventKind
from arb.core.model import Fee, MarketSpec, dec
from arb.scan.scanner import market_fee
from arb.trade.doctor import startup_call
from arb.trade.orders import brief
from arb.trade.outlet import Outlet
from arb.trade.paper import PaperBooks as PaperBooks  # re-exported for the trader
from arb.trade.paper import PaperVenue

log = logging.getLogger(__name__)
Key = tuple[str, str]  # (venue, symbol)


async def resolve_markets(
    cfg: Config,
    market_clients: Mapping[str, Any],
    order_clients: Mapping[str, Any],
    *,
    markets: dict[Key, MarketSpec],
    fees: dict[Key, Fee],
    lots: dict[Key, Decimal],
    known_markets: Mapping[Key, MarketSpec],
    known_fees: Mapping[Key, Fee],
    out: Outlet,
    throttle: Any | None = None,
) -> None:
    """Fill ``markets``, ``fees`` and ``lots`` (amount steps) for every configured venue and symbol."""
    for v in (x.name for x in cfg.active_venues()):
        client = market_clients[v]
        try:
            await startup_call(v, "load_markets", client.load_markets, timeout_s=30)
        except Exception as e:
            raise ArbError(f"{v}: cannot load markets ({brief(e)}); run `arb doctor`") from e
        for sym in cfg.scanner.symbols:
            m = (client.markets or {}).get(sym)
            if m is None:
                continue
            spec = known_markets.get((v, sym)) or MarketSpec.from_ccxt(m, getattr(client, "precisionMode", 4))
            markets[(v, sym)], lots[(v, sym)] = spec, spec.amount_step
            fee = known_fees.get((v, sym)) or await taker_fee(cfg, v, sym, client, order_clients.get(v), throttle)
            fees[(v, sym)] = fee
            out.event(EventKind.FEE, v, sym, f"taker={fee.taker} currency={fee.currency} source={fee.source}")


async def taker_fee(
    cfg: Config, venue: str, symbol: str, market_client: Any, order_client: Any | None, throttle: Any | None
) -> Fee:
    """Config override, else the account's rate (keys needed), else ccxt's market default."""
    vc = cfg.venue(venue)
    fee = vc.fee_override()
    if fee is None and order_client is not None and getattr(order_client, "apiKey", None):
        try:
            got = await startup_call(
                venue,
                "fetch_trading_fee",
                lambda: order_client.fetch_trading_fee(symbol),
                timeout_s=10,
                throttle=throttle,
            )
            fee = Fee(dec(got["taker"]), vc.fee_currency, "account")
        except Exception as e:
            log.warning("fee.account_failed venue=%s symbol=%s error=%s", venue, symbol, brief(e))
    return fee or market_fee(market_client, venue, symbol, None, vc.fee_currency)


def paper_venues(
    cfg: Config, market_clients: Mapping[str, Any], fees: Mapping[Key, Fee], clock: Callable[[], int], run_id: str
) -> dict[str, PaperVenue]:
    ex = cfg.execution
    return {
        v.name: PaperVenue(
            v.name,
            market_clients[v.name],
            fees=fees,
            balances=ex.paper_balances.get(v.name),
            latency_ms=ex.paper_latency_ms,
            clock=clock,
            run_id=run_id,
        )
        for v in cfg.active_venues()
    }
