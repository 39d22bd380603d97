"""The suggestion a "direction disabled" alert carries: the transfers that would give the direction its balance back.

Called by the supervisor when a direction is disabled for lack of balance (rare: once per change), so it may read
the journal: the newest ``networks`` snapshot the run's watcher journaled. The target is ``[rebalance] targets``,
else ``execution.paper_balances``, else the run's starting balances (the newest ``start`` balance rows). Never
raises: an alert goes out with or without its hint.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from arb.inventory.marks import assets_of
from arb.inventory.networks import NetworkTable
from arb.inventory.planner import Transfer, plan
from arb.inventory.watch import journaled_table

log = logging.getLogger(__name__)


def _target(cfg: Any, journal: Any, assets: tuple[str, str]) -> dict[tuple[str, str], Decimal]:
    for table in (cfg.rebalance.targets, cfg.execution.paper_balances):
        got = {(v, a): x for v, by in table.items() for a, x in by.items() if a in assets}
        if got:
            return got
    start: dict[tuple[str, str], Decimal] = {}
    for b in journal.balances():
        if b.get("source") == "start" and b["asset"] in assets and b.get("total") is not None:
            start[(b["venue"], b["asset"])] = b["total"]  # the newest start row per venue and asset wins
    return start


def _text(t: Transfer) -> str:
    if t.status == "ok":
        fee = "?" if t.fee is None else format(t.fee.normalize(), "f")
        return f"{t.asset} {t.source}→{t.dest} send {t.amount} via {t.network} (fee {fee})"
    return f"{t.asset} {t.source}→{t.dest} {t.needed} {t.status}: {t.reason}"


def rebalance_hint(cfg: Any, journal: Any, book: Any, symbol: str, buy: str, sell: str) -> str:
    """``"; rebalance: …"`` naming the moves that restore (symbol, buy on ``buy``, sell on ``sell``), or "".

    Balances are what the direction itself sees: each venue's spendable amount (``book.spendable``: free minus
    the configured minimum minus holds of orders in flight), so a direction disabled by a trade still settling
    gets the moves its remaining balances need (``arb rebalance`` plans on the settled balances)."""
    try:
        base, quote = assets_of(symbol)
        balances = {
            (v.name, a): x
            for v in cfg.active_venues()
            for a in (base, quote)
            if (x := book.spendable(v.name, a)) is not None
        }
        target = _target(cfg, journal, (base, quote))
        table = journaled_table(journal.events(kind="networks")) or NetworkTable()
        p = plan(balances, target, table, max_fee_share=cfg.rebalance.max_fee_share)
        mine = [t for t in p.transfers if (t.asset, t.dest) in ((base, sell), (quote, buy))] or p.transfers
        if not mine:
            return ""
        return "; rebalance: " + ", ".join(_text(t) for t in mine) + " (`arb rebalance` for the whole plan)"
    except Exception as e:  # a hint must never stop an alert
        log.warning("rebalance.hint_failed error=%s", type(e).__name__)
        return ""
