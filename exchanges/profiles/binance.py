"""Binance spot."""

from decimal import Decimal

from exchanges.profiles.base import VenueProfile

PROFILE = VenueProfile(
    id="binance",
    fee_currency="received",
    default_taker=Decimal("0.001"),
    client_id_param="newClientOrderId",
    client_id_max_len=36,
    client_id_pattern=r"[.A-Z:/a-z0-9_-]{1,36}",
    book_limit=None,  # ccxt: diff depth stream synchronised with a REST snapshot (1000 levels)
    book_channel="depth@100ms diff + REST snapshot",
    order_rate=(50, 10.0),  # 50 orders / 10 s per account
    lookup_param="origClientOrderId",
    expiry="recv_window",
    notes="newClientOrderId unique among open orders",
)
