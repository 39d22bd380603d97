"""OKX v5 spot."""

from decimal import Decimal

from exchanges.profiles.base import VenueProfile

PROFILE = VenueProfile(
    id="okx",
    fee_currency="received",
    default_taker=Decimal("0.001"),
    client_id_param="clOrdId",
    client_id_max_len=32,
    client_id_pattern=r"[A-Za-z0-9]{1,32}",
    book_limit=None,  # ccxt default depth channel "books": 400 levels, snapshot + updates, seqId chain
    book_channel="books (400 levels, incremental)",
    needs_password=True,
    order_rate=(60, 2.0),  # 60 orders / 2 s per instrument
    lookup_param="clOrdId",
    expiry="exp_time_header",
    notes="clOrdId unique among pending orders; ccxt checks prevSeqId but not the crc32 checksum",
)
