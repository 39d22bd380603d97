"""What arb must know per venue that ccxt does not unify (exchanges/profiles/<venue>.py).

``profile(ccxt_id)`` returns the venue's profile, or a conservative generic one for venues
without a file (fee in the currency received, 0.1% taker fallback, 32-char alphanumeric ids).
"""

from __future__ import annotations

from decimal import Decimal

from exchanges.profiles import binance, bybit, okx
from exchanges.profiles.base import VenueProfile

PROFILES: dict[str, VenueProfile] = {p.id: p for p in (okx.PROFILE, binance.PROFILE, bybit.PROFILE)}


def profile(ccxt_id: str) -> VenueProfile:
    found = PROFILES.get(ccxt_id)
    if found is not None:
        return found
    return VenueProfile(
        id=ccxt_id,
        fee_currency="received",
        default_taker=Decimal("0.001"),
        client_id_param="clientOrderId",
        client_id_max_len=32,
        client_id_pattern=r"[A-Za-z0-9]{1,32}",
        book_limit=None,
        book_channel="ccxt default",
        notes="generic profile: no venue file in exchanges/profiles",
    )


__all__ = ["PROFILES", "VenueProfile", "profile"]
