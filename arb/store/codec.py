"""Rows in and out of the journal: money as TEXT holding ``str(Decimal)``, back as the same ``Decimal``.

``Decimal("1E-8")`` and ``Decimal("1.500")`` round-trip with their exponents; other values are
stored as they are, Decimals as text and dicts/lists as JSON.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from arb.core.model import Episode, Opportunity, dec, quantize_bps
from arb.store.errors import JournalDataError
from arb.store.schema import MONEY


def _money(v: Any, table: str, column: str, *, bps: bool = False) -> str:
    """A money value as the exact Decimal string. Floats go through ``dec`` (their repr). A bps ratio
    (``*net_bps``) is stored to 0.0001 bps (:func:`arb.core.model.quantize_bps`): the evaluator's 60-digit
    context would otherwise store 60 digits of a ratio whose inputs (net profit, cost) are stored exactly."""
    try:
        d = dec(v)
    except (TypeError, InvalidOperation, ValueError):
        raise JournalDataError(f"{table}.{column} must be a number, got {v!r}") from None
    if not d.is_finite():
        raise JournalDataError(f"{table}.{column} must be finite, got {v!r}")
    return str(quantize_bps(d) if bps else d)


def _scalar(v: Any, table: str, column: str) -> Any:
    if v is None or isinstance(v, str | int | float | bytes):
        return v
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict | list | tuple):
        return json.dumps(v, sort_keys=True, default=str)
    raise JournalDataError(f"{table}.{column} cannot store a {type(v).__name__}; pass text, a number or JSON")


def _opp_fields(prefix: str, opp: Opportunity | None, full: bool) -> dict[str, Any]:
    if opp is None:
        return {}
    row: dict[str, Any] = {f"{prefix}_net_profit": opp.net_profit, f"{prefix}_net_bps": opp.net_bps}
    if full:
        row |= {
            f"{prefix}_buy_amount": opp.buy.amount,
            f"{prefix}_sell_amount": opp.sell.amount,
            f"{prefix}_buy_vwap": opp.buy.vwap,
            f"{prefix}_sell_vwap": opp.sell.vwap,
            f"{prefix}_buy_limit": opp.buy.limit_price,
            f"{prefix}_sell_limit": opp.sell.limit_price,
            f"{prefix}_cost": opp.cost,
            f"{prefix}_gross_profit": opp.gross_profit,
            f"{prefix}_fees_quote": opp.fees_quote,
        }
    return row


def encode_row(table: str, row: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    """``row`` ready to write to ``table`` (whose columns are ``columns``); unknown columns are refused."""
    unknown = row.keys() - columns
    if unknown:
        raise JournalDataError(f"{table} has no column {', '.join(sorted(unknown))}; fix the caller")
    money = MONEY[table]
    return {
        k: (_money(v, table, k, bps=k.endswith("net_bps")) if k in money and v is not None else _scalar(v, table, k))
        for k, v in row.items()
    }


def decode_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row read from ``table`` with its money columns back as ``Decimal`` (in place)."""
    for k in MONEY[table] & row.keys():
        if row[k] is not None:
            row[k] = dec(row[k])
    return row


def episode_row(ep: Episode, run_id: str) -> dict[str, Any]:
    """Episode → ``episodes`` row (Decimals kept; :meth:`Journal.write_batch` writes them as text)."""
    return {
        "id": ep.id,
        "run_id": run_id,
        "symbol": ep.symbol,
        "buy_venue": ep.buy_venue,
        "sell_venue": ep.sell_venue,
        "start_ms": ep.start_ms,
        "last_ms": ep.last_ms,
        "end_ms": ep.end_ms,
        "duration_ms": ep.duration_ms,
        "evaluations": ep.evaluations,
        "end_reason": ep.end_reason,
        "status": "open" if ep.end_ms is None else "closed",
        "transferable": ep.transferable,
        "transfer_cost": ep.transfer_cost,
        "transfer_detail": ep.transfer_detail,
        **_opp_fields("peak", ep.peak, full=True),
        **_opp_fields("last", ep.last, full=False),
    }
