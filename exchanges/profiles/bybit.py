"""Bybit v5 spot."""

from decimal import Decimal

from exchanges.profiles.base import VenueProfile

PROFILE = VenueProfile(
    id="bybit",
    fee_currency="received",
    default_taker=Decimal("0.001"),
    client_id_param="orderLinkId",
    client_id_max_len=36,
    client_id_pattern=r"[A-Za-z0-9_-]{1,36}",
    book_limit=50,  # orderbook.50 snapshot + delta with u/seq
    book_channel="orderbook.50",
    order_rate=(10, 1.0),  # 10 orders / s per symbol (spot)
    lookup="order_lists",
    lookup_param="orderLinkId",
    expiry="recv_window",
    notes="orderLinkId must be unique per account",
)
