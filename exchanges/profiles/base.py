"""VenueProfile: what arb must know per venue that ccxt does not unify, and nothing else."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arb.core.model import FeeCurrency


@dataclass(frozen=True, slots=True)
class VenueProfile:
    id: str  # ccxt id
    fee_currency: FeeCurrency  # where the spot taker fee is charged
    default_taker: Decimal  # fallback taker rate when neither account nor config gives one
    client_id_param: str  # the ccxt create_order param carrying our client order id
    client_id_max_len: int
    client_id_pattern: str  # regex every client id must match (venue rule)
    book_limit: int | None  # limit passed to watch_order_book (None = ccxt default channel)
    book_channel: str  # what that limit subscribes to, for humans
    needs_password: bool = False  # OKX: API passphrase
    order_rate: tuple[int, float] = (10, 1.0)  # orders per period (s) the venue allows; arb paces sends by it
    ioc_params: dict[str, Any] = field(default_factory=lambda: {"timeInForce": "IOC"})
    # Look-up by client id (exchanges/profiles/calls.py): "fetch_order" = ccxt fetch_order(None, symbol,
    # {lookup_param: cid}); "order_lists" = the open-order list, then the closed-order list, filtered by
    # {lookup_param: cid} (Bybit: ccxt's fetch_order sends orderId=None and needs options it cannot verify).
    lookup: str = "fetch_order"
    lookup_param: str = "clientOrderId"
    # How the venue's own order expiry travels (calls.py, while the order is signed): "recv_window"
    # (ccxt options.recvWindow, relative to the signed timestamp), "exp_time_header" (OKX's absolute
    # ``expTime`` request header, which ccxt does not send itself) or "none" (no venue expiry known).
    expiry: str = "none"
    notes: str = ""

    def lookup_params(self, client_id: str) -> dict[str, Any]:
        """ccxt params that name our client order id in this venue's order look-up."""
        return {self.lookup_param: client_id}

    def client_order_id(self, opportunity_id: str, leg: str, attempt: int = 0) -> str:
        """Deterministic client order id for one leg of one opportunity (same inputs → same id).

        ``arb`` + hex digest, cut to the venue's length rule; alphanumeric so it is valid everywhere.
        """
        digest = hashlib.sha256(f"{opportunity_id}:{leg}:{attempt}".encode()).hexdigest()
        cid = ("arb" + digest)[: self.client_id_max_len]
        if not re.fullmatch(self.client_id_pattern, cid):  # pragma: no cover - guarded by tests per venue
            raise ValueError(f"{self.id}: client id {cid!r} breaks the venue rule {self.client_id_pattern}")
        return cid

    def order_params(self, client_id: str) -> dict[str, Any]:
        """ccxt ``create_order`` params for a limit IOC leg with our client order id."""
        return {**self.ioc_params, self.client_id_param: client_id}
