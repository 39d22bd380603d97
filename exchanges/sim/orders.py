"""Order-side value types of the simulator: orders, fills, accounts and venue-neutral rejects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ORDER_TYPES = ("limit", "market")
TIFS = ("GTC", "IOC", "FOK", "PO")
OPEN_STATES = ("live", "partially_filled")


class Reject(Exception):
    """An order or cancel refused; ``reason`` is one of the REASONS below, ``detail`` free text."""

    REASONS = (
        "unknown_symbol",
        "bad_side",
        "bad_type",
        "bad_amount",
        "bad_price",
        "min_size",
        "lot_size",
        "tick_size",
        "max_size",
        "min_notional",
        "max_notional",
        "price_range",
        "price_limit",
        "insufficient_balance",
        "duplicate_client_id",
        "bad_client_id",
        "not_found",
        "already_canceled",
        "already_filled",
        "fault_reject",
    )

    def __init__(self, reason: str, detail: str = "", *, bound: Decimal | None = None, side: str = "") -> None:
        assert reason in self.REASONS, reason
        self.reason, self.detail = reason, detail
        self.bound, self.side = bound, side  # price_limit: the limit price the order broke, and the order's side
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(slots=True)
class Fill:
    trade_id: str
    order_id: str
    price: Decimal
    amount: Decimal
    fee: Decimal
    fee_currency: str
    ts_ms: int
    maker: bool = False


@dataclass(slots=True)
class Order:
    order_id: str
    client_id: str
    account: str
    key: str
    symbol: str
    side: str
    type: str
    tif: str
    amount: Decimal  # base amount, or quote amount when quote_amount (market buy by cost)
    price: Decimal | None
    created_ms: int
    quote_amount: bool = False
    tag: str = ""
    status: str = "live"  # live, partially_filled, filled, canceled
    filled: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)  # quote value filled
    fee: Decimal = Decimal(0)
    fee_currency: str = ""
    updated_ms: int = 0
    fills: list[Fill] = field(default_factory=list)
    frozen: Decimal = Decimal(0)  # quote (buy) or base (sell) reserved by a resting order
    log: dict[str, Any] | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def avg_price(self) -> Decimal | None:
        return (self.cost / self.filled) if self.filled else None

    @property
    def last_fill(self) -> Fill | None:
        return self.fills[-1] if self.fills else None


@dataclass(slots=True)
class Account:
    balances: dict[str, Decimal] = field(default_factory=dict)
    frozen: dict[str, Decimal] = field(default_factory=dict)

    def free(self, ccy: str) -> Decimal:
        return self.balances.get(ccy, Decimal(0)) - self.frozen.get(ccy, Decimal(0))

    def add(self, ccy: str, amount: Decimal) -> None:
        self.balances[ccy] = self.balances.get(ccy, Decimal(0)) + amount

    def freeze(self, ccy: str, amount: Decimal) -> None:
        self.frozen[ccy] = self.frozen.get(ccy, Decimal(0)) + amount


OrderListener = Callable[[Order, Fill | None], None]
