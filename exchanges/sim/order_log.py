"""The venue's order log: one entry per placement attempt, updated as the order fills and closes.

Entry fields: ``ts_ms`` (= ``landed_ms``), ``arrival_ms`` (request received), ``landed_ms`` (reached the
matching engine, or was refused), ``venue``, ``key``, ``client_id``, ``order_id`` (None unless accepted),
``symbol``, ``side``, ``type``, ``tif``, ``amount``, ``price``, ``status`` (``rejected``, or the order's
``live``/``partially_filled``/``filled``/``canceled``), ``filled``, ``avg_price``, ``fee``,
``fee_currency``, ``reject_reason`` (venue-neutral reason or the venue's error code).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exchanges.sim.orders import Order


def new_entry(
    log: list[dict[str, Any]],
    venue: str,
    now_ms: int,
    key: str,
    client_id: str,
    symbol: str,
    side: str,
    type: str,
    tif: str,
    amount: Decimal | None,
    price: Decimal | None,
    arrival_ms: int | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ts_ms": now_ms,
        "arrival_ms": now_ms if arrival_ms is None else arrival_ms,
        "landed_ms": now_ms,
        "venue": venue,
        "key": key,
        "client_id": client_id,
        "order_id": None,
        "symbol": symbol,
        "side": side,
        "type": type,
        "tif": tif,
        "amount": amount,
        "price": price,
        "status": "received",
        "filled": Decimal(0),
        "avg_price": None,
        "fee": Decimal(0),
        "fee_currency": None,
        "reject_reason": None,
    }
    log.append(entry)
    return entry


def sync(order: Order) -> None:
    """Copy an accepted order's state into its log entry."""
    if order.log is None:
        return
    order.log.update(
        order_id=order.order_id,
        status=order.status,
        filled=order.filled,
        avg_price=order.avg_price,
        fee=order.fee,
        fee_currency=order.fee_currency,
    )
