"""Reconcile the journal with the venues: the single owner of "what happened to an order".

Run at start, periodically (the trader's sweep) and for every order whose outcome is not final or whose
fills are incomplete:

* Every order without a terminal state (``intent``, ``sent``, ``open``, ``unknown``) and every terminal
  order whose journaled fills do not add up to its filled amount is looked up on its venue **by client
  order id**, with the venue's own parameter (:func:`exchanges.profiles.calls.find_order`), and brought up
  to date: state, and the fills fetched until complete, journaled together (``Journal.record_leg``).
* Nothing is re-sent. "Not found" is not "never sent": an order the venue does not know stays ``unknown``
  until its ``expires_ms`` (the venue's own expiry sent with it, plus a clock-skew margin) has passed;
  only a look-up after that which still finds nothing journals it ``rejected`` as never executed. A
  look-up that fails (network, rate limit) decides nothing.
* The positions of the opportunities touched are recomputed from the venue's answers; an imbalance
  beyond dust becomes (or updates) an exposure and gets ``policy``: ``hedge`` flattens it (the sweep,
  and the trader for every open exposure once books are available at start), ``hold`` records it. A
  missing second leg is never sent after a restart or by the sweep: ``retry`` holds
  (:func:`reconcile_policy`). While any leg of the opportunity is still unknown the exposure is held.

Like nautilus' ``reconcile_mass_status``: ask the venue, turn differences into journal updates and
findings (journal events of kind ``reconcile``, alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arb.core.ledger import TERMINAL, LegFill, MalformedOrder, Position
from arb.core.model import ZERO
from arb.store import Journal
from arb.trade.executor import Executor, expiry_of
from arb.trade.orders import brief

log = logging.getLogger(__name__)


def reconcile_policy(on_partial: str) -> str:
    """The policy reconcile applies to an exposure it finds: ``hedge`` stays, ``retry`` and ``hold`` hold."""
    return "hedge" if on_partial == "hedge" else "hold"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # order_found | not_sent | still_unknown | fills_missing | exposure | exposure_cleared | malformed |
    # venue_missing
    venue: str | None
    symbol: str | None
    detail: str
    opportunity_id: str | None = None
    client_id: str | None = None
    exposure_id: int | None = None

    def line(self) -> str:
        return f"reconcile {self.kind}: {self.detail}"


def leg_from_row(row: dict[str, Any], fills: Iterable[dict[str, Any]] = ()) -> LegFill:
    """A journaled order as a LegFill; exact cost from its journaled fills when they add up."""
    filled = row.get("filled") or ZERO
    fl = list(fills)
    if fl and sum((f["amount"] for f in fl), ZERO) == filled:
        cost = sum((f["amount"] * f["price"] for f in fl), ZERO)
        fees: dict[str, Decimal] = {}
        for f in fl:
            if f.get("fee") and f.get("fee_currency"):
                fees[f["fee_currency"]] = fees.get(f["fee_currency"], ZERO) + f["fee"]
        fee_items = tuple(fees.items())
    else:
        cost = filled * row["avg_price"] if row.get("avg_price") is not None else ZERO
        fee_items = ((row["fee_currency"], row["fee"]),) if row.get("fee") and row.get("fee_currency") else ()
    return LegFill(
        row["venue"],
        row["symbol"],
        row["side"],
        row["client_id"],
        row["amount"],
        row.get("price"),
        state=row["state"],
        order_id=row.get("venue_order_id"),
        filled=filled,
        cost=cost,
        fees=fee_items,
        reason=row.get("reason"),
    )


def opportunity_legs(journal: Journal, opp_id: str) -> tuple[list[LegFill], tuple[str, str] | None]:
    """All journaled legs of an opportunity (oldest first) and its (buy venue, sell venue)."""
    rows = journal.orders(opportunity_id=opp_id)
    legs = [leg_from_row(r, journal.fills(r["client_id"])) for r in rows]
    buy = next((r["venue"] for r in rows if r["side"] == "buy"), None)
    sell = next((r["venue"] for r in rows if r["side"] == "sell"), None)
    return legs, (buy, sell) if buy and sell else None


async def reconcile_orders(
    journal: Journal,
    executor: Executor,
    *,
    now_ms: int,
    skip: Iterable[str] = (),
    min_age_ms: int = 0,
    source: str = "start",
    policy: str = "hold",
) -> list[Finding]:
    """Bring every unfinished or fill-incomplete order up to date from its venue; settle the opportunities touched."""
    skipped = set(skip)
    findings: list[Finding] = []
    touched: dict[str, str] = {}
    rows = {r["client_id"]: r for r in (*journal.open_intents(), *journal.orders_missing_fills())}
    for row in rows.values():
        cid, venue, symbol = row["client_id"], row["venue"], row["symbol"]
        if cid in skipped or now_ms - row["created_ms"] < min_age_ms:
            continue
        if venue not in executor.venues or (venue, symbol) not in executor.markets:
            findings.append(
                Finding(
                    "venue_missing",
                    venue,
                    symbol,
                    f"{cid}: venue {venue} / {symbol} not in this run",
                    row.get("opportunity_id"),
                    cid,
                )
            )
            continue
        leg = leg_from_row(row)
        asked_ms = executor.clock()
        try:
            found = await executor.look(leg)
        except Exception as e:  # could not ask: decides nothing
            log.warning("reconcile.lookup_failed venue=%s client_id=%s error=%s", venue, cid, brief(e))
            if source == "start":
                findings.append(
                    Finding(
                        "still_unknown",
                        venue,
                        symbol,
                        f"{cid}: look-up failed ({brief(e)})",
                        row.get("opportunity_id"),
                        cid,
                    )
                )
            continue
        if found is None:
            expires = expiry_of(row)
            if row["state"] in TERMINAL:
                findings.append(
                    Finding(
                        "fills_missing",
                        venue,
                        symbol,
                        f"{cid}: {row['state']} but the venue no longer knows it; fills stay incomplete",
                        row.get("opportunity_id"),
                        cid,
                    )
                )
                continue
            if asked_ms <= expires:
                reason = f"not found at the venue; unknown until its expiry at {expires} ms"
                if row["state"] != "unknown" or row.get("reason") != reason or source == "start":
                    journal.update_order(cid, state="unknown", reason=reason, updated_ms=now_ms)
                    findings.append(
                        Finding(
                            "still_unknown",
                            venue,
                            symbol,
                            f"{cid} ({row['side']} {row['amount']}): {reason}",
                            row.get("opportunity_id"),
                            cid,
                        )
                    )
            else:
                reason = f"not at the venue after its expiry ({source}): never executed"
                journal.update_order(cid, state="rejected", reason=reason, updated_ms=now_ms)
                findings.append(
                    Finding(
                        "not_sent",
                        venue,
                        symbol,
                        f"{cid} ({row['side']} {row['amount']}): {reason}",
                        row.get("opportunity_id"),
                        cid,
                    )
                )
        else:
            try:
                leg = await executor.finish(leg.with_update(found))
            except MalformedOrder as e:
                findings.append(Finding("malformed", venue, symbol, f"{cid}: {e}", row.get("opportunity_id"), cid))
                continue
            findings.append(
                Finding(
                    "order_found",
                    venue,
                    symbol,
                    f"{cid}: {leg.state}, filled {leg.filled}/{leg.amount} at {leg.avg_price}",
                    row.get("opportunity_id"),
                    cid,
                )
            )
        if row.get("opportunity_id"):
            touched[row["opportunity_id"]] = symbol
    for opp_id, symbol in touched.items():
        findings += await settle_opportunity(journal, executor, opp_id, symbol, policy)
    for f in findings:
        log.warning("%s", f.line())
    return findings


async def settle_opportunity(
    journal: Journal, executor: Executor, opp_id: str, symbol: str, policy: str = "hold"
) -> list[Finding]:
    """Recompute an opportunity's position from the journal; record, update or clear its exposure, apply ``policy``."""
    legs, venues = opportunity_legs(journal, opp_id)
    if venues is None:
        venues = (legs[0].venue, legs[0].venue) if legs else None
    if venues is None or (venues[1], symbol) not in executor.markets or (venues[0], symbol) not in executor.markets:
        return []
    existing = [e for e in journal.exposures("open") if e.get("opportunity_id") == opp_id]
    exp_id = existing[0]["id"] if existing else None
    try:
        out = await executor.settle(opp_id, symbol, venues, legs, policy=policy, exposure_id=exp_id)
    except Exception as e:  # a bug here must not stop the start-up sweep
        log.exception("reconcile.settle_failed opportunity=%s", opp_id)
        return [Finding("malformed", None, symbol, f"{opp_id}: cannot settle: {brief(e)}", opp_id)]
    pos = Position.of(symbol, out.legs)
    if out.exposure == ZERO:
        return (
            [
                Finding(
                    "exposure_cleared",
                    None,
                    symbol,
                    f"{opp_id}: no exposure left ({'; '.join(out.notes)})",
                    opp_id,
                    exposure_id=exp_id or out.exposure_id,
                )
            ]
            if exp_id or out.exposure_id
            else []
        )
    return [
        Finding(
            "exposure",
            venues[0] if out.exposure > 0 else venues[1],
            symbol,
            f"{opp_id}: {out.exposure} {symbol.split('/')[0]} unmatched (quote flow {pos.quote_net}); "
            f"exposure #{out.exposure_id}: {'; '.join(out.notes)}",
            opp_id,
            exposure_id=out.exposure_id,
        )
    ]


def open_exposures(journal: Journal, symbols: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
    rows = journal.exposures("open")
    return [r for r in rows if symbols is None or symbols(r["symbol"])]
