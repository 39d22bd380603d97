"""Journal rows → one row per traded opportunity and one per fill, with the run's own ledger math.

* **Realised PnL** of an opportunity is :class:`arb.core.ledger.Position` over all its legs (main legs,
  retries and hedges): the same code that gives the run's outcome lines ("trades ok …; PnL …") and
  the risk gate's daily PnL, fed here from the journal's fills. An order whose journaled fills do
  not add up to the filled amount on its row (older journals lost fills: they were once keyed by
  venue and trade id only, and paper ids repeated across runs) counts with its order totals (filled,
  average price, fee), and a note says so.
* **Buy and sell venues** are the opportunity's own (the executor's trade event, else its episode),
  never a hedge or retry leg's venue.
* **Per-leg slippage** compares the main leg's fill VWAP with the evaluator's walked VWAP for it
  (``expected_buy_vwap``/``expected_sell_vwap`` in the trade event), in bps, positive = worse:
  buy ``(fill − expected) / expected``, sell ``(expected − fill) / expected``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from arb.core.ledger import LegFill, Position
from arb.core.model import ZERO, dec
from arb.review.report.data import Filters, Loaded, _frame, base_quote, episode_of, trade_events

TRADE_COLUMNS = [
    "opportunity_id",
    "episode_id",
    "run_id",
    "symbol",
    "buy_venue",
    "sell_venue",
    "ts_ms",
    "ok",
    "extra_legs",
    "buy_amount",
    "buy_vwap",
    "sell_amount",
    "sell_vwap",
    "fees_quote",
    "residual_base",
    "pnl",
    "expected_net",
    "slippage_quote",
    "expected_buy_vwap",
    "expected_sell_vwap",
    "buy_slippage_bps",
    "sell_slippage_bps",
]
FILL_COLUMNS = [
    "venue",
    "symbol",
    "side",
    "ts_ms",
    "amount",
    "price",
    "fee",
    "fee_currency",
    "fee_quote",
    "opportunity_id",
]


@dataclass(slots=True)
class Trades:
    """The trades and fills tables, and notes on how they were built."""

    trades: pd.DataFrame
    fills: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _opt(x: Any) -> Decimal | None:
    return dec(x) if x not in (None, "", "None") else None


def _fill_rows(ld: Loaded) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Fills per client id; a filled order whose journaled fills do not add up to its filled amount gets
    one row from its order totals instead."""
    by_client: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fl in ld.fills:
        by_client[fl["client_id"]].append(fl)
    fallback = 0
    for o in ld.orders:
        filled, rows = o.get("filled") or ZERO, by_client.get(o["client_id"], [])
        if filled > 0 and sum((r["amount"] or ZERO for r in rows), ZERO) != filled and o.get("avg_price"):
            fallback += 1  # some or all of its fills are missing: its order totals are the record
            by_client[o["client_id"]] = [
                {
                    "client_id": o["client_id"],
                    "venue": o["venue"],
                    "trade_id": f"order:{o['client_id']}",
                    "ts_ms": o["updated_ms"],
                    "amount": filled,
                    "price": o["avg_price"],
                    "fee": o.get("fee") or ZERO,
                    "fee_currency": o.get("fee_currency"),
                }
            ]
    return by_client, fallback


def _leg(o: dict[str, Any], fills: list[dict[str, Any]]) -> LegFill:
    fees: dict[str, Decimal] = {}
    filled = cost = ZERO
    quote = base_quote(o["symbol"])[1]
    for fl in fills:
        amount, price = fl["amount"] or ZERO, fl["price"] or ZERO
        filled, cost = filled + amount, cost + amount * price
        if fl["fee"]:
            ccy = fl.get("fee_currency") or quote
            fees[ccy] = fees.get(ccy, ZERO) + fl["fee"]
    return LegFill(
        o["venue"],
        o["symbol"],
        o["side"],
        o["client_id"],
        o["amount"],
        o.get("price"),
        state=o["state"],
        order_id=o.get("venue_order_id"),
        filled=filled,
        cost=cost,
        fees=tuple(fees.items()),
    )


def _main(orders: list[dict[str, Any]], ev: dict[str, Any], side: str, venue: str | None) -> dict[str, Any] | None:
    """The opportunity's own ``side`` leg among all its orders (filled or not): the one the trade event names,
    else the order journaled with that ``leg``, else the first order of that side on its venue. Never a hedge
    or retry leg on the same venue and side."""
    legs = ev.get("legs") or []
    idx = 0 if side == "buy" else 1
    if len(legs) > idx and isinstance(legs[idx], dict) and legs[idx].get("side") == side:
        cid = str(legs[idx].get("client_id"))
        found = next((o for o in orders if o["client_id"] == cid), None)
        if found is not None:
            return found
    if any(o.get("leg") for o in orders):
        return next((o for o in orders if o.get("leg") == side), None)
    same = [o for o in orders if o["side"] == side and (venue is None or o["venue"] == venue)]
    return min(same, key=lambda o: (o["created_ms"], o["client_id"])) if same else None


def venues_of(
    opp_id: str, ev: dict[str, Any], episodes: dict[str, dict[str, Any]], orders: list[dict[str, Any]]
) -> tuple[str | None, str | None]:
    """(buy venue, sell venue) of the opportunity itself: trade event, else its episode, else its first legs."""
    if ev.get("buy_venue") and ev.get("sell_venue"):
        return str(ev["buy_venue"]), str(ev["sell_venue"])
    ep = episodes.get(episode_of(opp_id, set(episodes), ev) or "")
    if ep is not None:
        return ep["buy_venue"], ep["sell_venue"]
    legs = [x for x in ev.get("legs") or [] if isinstance(x, dict)]
    if len(legs) >= 2 and legs[0].get("side") == "buy" and legs[1].get("side") == "sell":
        return legs[0].get("venue"), legs[1].get("venue")
    first = sorted(orders, key=lambda o: (o["created_ms"], o["client_id"]))
    buy = next((o["venue"] for o in first if o["side"] == "buy"), None)
    sell = next((o["venue"] for o in first if o["side"] == "sell"), None)
    return buy, sell


def _bps(diff: Decimal, ref: Decimal | None) -> Decimal | None:
    return diff / ref * 10_000 if ref else None


def trades(ld: Loaded, f: Filters) -> Trades:
    """(one row per traded opportunity, one row per fill), both with Decimal money, oldest first."""
    trade_ev = trade_events(ld.events)
    episodes = {e["id"]: e for e in ld.episodes}
    fills_by_client, fallback = _fill_rows(ld)
    by_opp: dict[str, list[dict[str, Any]]] = defaultdict(list)  # every order of an opportunity, filled or not
    for o in ld.orders:
        if o.get("opportunity_id"):
            by_opp[o["opportunity_id"]].append(o)
    out: list[dict[str, Any]] = []
    fill_rows: list[dict[str, Any]] = []
    for opp_id, orders in by_opp.items():
        if not any(fills_by_client.get(o["client_id"]) for o in orders):
            continue  # nothing filled: not a trade (the capture table says why)
        symbol = orders[0]["symbol"]
        base, quote = base_quote(symbol)
        ev = trade_ev.get(opp_id) or {}
        legs = {o["client_id"]: _leg(o, fills_by_client.get(o["client_id"], [])) for o in orders}
        pos = Position.of(symbol, legs.values())
        buy_venue, sell_venue = venues_of(opp_id, ev, episodes, orders)
        mb, ms = _main(orders, ev, "buy", buy_venue), _main(orders, ev, "sell", sell_venue)
        lb = legs[mb["client_id"]] if mb else None
        ls = legs[ms["client_id"]] if ms else None
        rows = []
        for o in orders:
            for fl in fills_by_client.get(o["client_id"], []):
                amount, price, fee = fl["amount"] or ZERO, fl["price"] or ZERO, fl["fee"] or ZERO
                cur = fl.get("fee_currency") or quote
                rows.append(
                    {
                        "venue": fl["venue"],
                        "symbol": symbol,
                        "side": o["side"],
                        "ts_ms": fl["ts_ms"] or o["updated_ms"],
                        "amount": amount,
                        "price": price,
                        "fee": fee,
                        "fee_currency": cur,
                        "fee_quote": fee if cur == quote else fee * price if cur == base else ZERO,
                        "opportunity_id": opp_id,
                    }
                )
        planned = ev.get("expected_net", ev.get("planned_net"))
        expected = _opt(planned)
        eb, es = _opt(ev.get("expected_buy_vwap")), _opt(ev.get("expected_sell_vwap"))
        b_vwap = lb.avg_price if lb else None
        s_vwap = ls.avg_price if ls else None
        out.append(
            {
                "opportunity_id": opp_id,
                "episode_id": episode_of(opp_id, set(episodes), ev),
                "run_id": min(orders, key=lambda o: (o["created_ms"], o["client_id"])).get("run_id"),
                "symbol": symbol,
                "buy_venue": buy_venue,
                "sell_venue": sell_venue,
                "ts_ms": max(r["ts_ms"] for r in rows),
                "ok": bool(ev["ok"]) if "ok" in ev else None,
                "extra_legs": len([c for c in legs if c not in {mb and mb["client_id"], ms and ms["client_id"]}]),
                "buy_amount": lb.filled if lb else ZERO,
                "buy_vwap": b_vwap,
                "sell_amount": ls.filled if ls else ZERO,
                "sell_vwap": s_vwap,
                "fees_quote": sum((r["fee_quote"] for r in rows), ZERO),
                "residual_base": pos.base_net,
                "pnl": pos.pnl_quote,
                "expected_net": expected,
                "slippage_quote": None if expected is None else pos.pnl_quote - expected,
                "expected_buy_vwap": eb,
                "expected_sell_vwap": es,
                "buy_slippage_bps": _bps(b_vwap - eb, eb) if eb and b_vwap else None,
                "sell_slippage_bps": _bps(es - s_vwap, es) if es and s_vwap else None,
            }
        )
        fill_rows += rows
    out = [
        t
        for t in out
        if (f.since_ms is None or t["ts_ms"] >= f.since_ms)
        and (f.venue is None or f.venue in (t["buy_venue"], t["sell_venue"]))
    ]
    keep = {t["opportunity_id"] for t in out}
    fill_rows = [r for r in fill_rows if r["opportunity_id"] in keep]
    out.sort(key=lambda t: (t["ts_ms"], t["opportunity_id"]))
    fill_rows.sort(key=lambda r: (r["ts_ms"], r["venue"]))
    notes = []
    if fallback:
        notes.append(
            f"{fallback} filled order(s) lack fills in the journal (an older arb dropped them); "
            "their order totals (filled, average price, fee) were used"
        )
    return Trades(_frame(out, TRADE_COLUMNS), _frame(fill_rows, FILL_COLUMNS), notes)
