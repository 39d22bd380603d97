"""Binance spot authentication and errors: HMAC-SHA256 query-string signing, recvWindow, real error bodies.

REST: ``signature = hex(HMAC_SHA256(secret, totalParams))`` where totalParams is the query string followed
by the form body, without the ``signature`` pair itself; ``X-MBX-APIKEY`` carries the key. A request is
accepted when ``timestamp < serverTime + 1000`` and ``serverTime - timestamp <= recvWindow`` (default
5000, at most 60000). WS API (``userDataStream.subscribe.signature``) signs the params sorted by name.
Errors are ``{"code": -NNNN, "msg": "..."}`` with the HTTP status Binance uses for that code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from exchanges.sim.base import ApiKey
from exchanges.sim.orders import Reject

MAX_RECV_WINDOW = 60_000
DEFAULT_RECV_WINDOW = 5_000
AHEAD_TOLERANCE_MS = 1_000
DECIMAL_RE = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
INT_RE = re.compile(r"^[0-9]{1,20}$")
CLIENT_ID_RE = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BinanceError(Exception):
    """A Binance error response: HTTP status plus the ``{"code","msg"}`` body."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{code} {msg}")
        self.status, self.code, self.msg = status, code, msg

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return BinanceError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def illegal(name: str, legal: str) -> BinanceError:
    return BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'.")


def not_required(name: str) -> BinanceError:
    return BinanceError(400, -1106, f"Parameter '{name}' sent when not required.")


BAD_KEY_FORMAT = BinanceError(401, -2014, "API-key format invalid.")
REJECTED_KEY = BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
BAD_SIGNATURE = BinanceError(400, -1022, "Signature for this request is not valid.")
INVALID_SYMBOL = BinanceError(400, -1121, "Invalid symbol.")
INVALID_TYPE = BinanceError(400, -1116, "Invalid orderType.")
INVALID_SIDE = BinanceError(400, -1117, "Invalid side.")
INVALID_TIF = BinanceError(400, -1115, "Invalid timeInForce.")
NO_SUCH_ORDER = BinanceError(400, -2013, "Order does not exist.")
UNKNOWN_ORDER = BinanceError(400, -2011, "Unknown order sent.")
NOTIONAL = BinanceError(400, -1013, "Filter failure: NOTIONAL")
WOULD_TAKE = BinanceError(400, -2010, "Order would immediately match and take.")
DUPLICATE_PARAM = BinanceError(400, -1101, "Duplicate values for a parameter detected.")
TOO_MUCH_WEIGHT = BinanceError(
    429,
    -1003,
    "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
    "Please use WebSocket Streams for live updates to avoid polling the API.",
)
# the answer of ``order_error_after_accept``: Binance's 5xx "execution status unknown" (the order may have executed)
STATUS_UNKNOWN = BinanceError(
    503, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
)
TOO_MANY_ORDERS = BinanceError(429, -1015, "Too many new orders; current limit is 100 orders per 10 SECOND.")


def banned(until_ms: int) -> BinanceError:
    return BinanceError(
        418,
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
    )


# matching-engine reject reason -> the error Binance returns for a new order
REJECT_CODES: dict[str, BinanceError] = {
    "unknown_symbol": INVALID_SYMBOL,
    "bad_side": INVALID_SIDE,
    "bad_type": INVALID_TYPE,
    "bad_amount": BinanceError(400, -1013, "Invalid quantity."),
    "bad_price": BinanceError(400, -1013, "Invalid price."),
    "min_size": BinanceError(400, -1013, "Filter failure: LOT_SIZE"),
    "lot_size": BinanceError(400, -1013, "Filter failure: LOT_SIZE"),
    "tick_size": BinanceError(400, -1013, "Filter failure: PRICE_FILTER"),
    "insufficient_balance": BinanceError(400, -2010, "Account has insufficient balance for requested action."),
    "duplicate_client_id": BinanceError(400, -2010, "Duplicate order sent."),
    "bad_client_id": illegal("newClientOrderId", CLIENT_ID_RE.pattern),
    "not_found": UNKNOWN_ORDER,
    "already_canceled": UNKNOWN_ORDER,
    "already_filled": UNKNOWN_ORDER,
    "fault_reject": BinanceError(400, -2010, "New order rejected."),
    "max_size": BinanceError(400, -1013, "Filter failure: LOT_SIZE"),
    "min_notional": NOTIONAL,
    "max_notional": NOTIONAL,
    "price_range": BinanceError(400, -1013, "Filter failure: PRICE_FILTER"),
    "price_limit": BinanceError(400, -1013, "Filter failure: PERCENT_PRICE_BY_SIDE"),
}
MARKET_LOT_SIZE = BinanceError(400, -1013, "Filter failure: MARKET_LOT_SIZE")


def reject_error(e: Reject) -> BinanceError:
    """The Binance error for an engine reject (a market order over MARKET_LOT_SIZE's maxQty names that filter)."""
    if e.reason == "max_size" and e.detail.startswith("market"):
        return MARKET_LOT_SIZE
    return REJECT_CODES[e.reason]


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def strip_signature(raw: str) -> tuple[str, str | None]:
    """``a=1&b=2&signature=x`` -> (``a=1&b=2``, ``x``): the signed payload and the signature sent."""
    keep, signature = [], None
    for pair in raw.split("&") if raw else []:
        if pair.startswith("signature="):
            signature = pair[len("signature=") :]
        else:
            keep.append(pair)
    return "&".join(keep), signature


def check_key(keys: Mapping[str, ApiKey], key_id: str | None, remote: str | None) -> ApiKey:
    if not key_id or not KEY_RE.match(key_id):
        raise BAD_KEY_FORMAT
    key = keys.get(key_id)
    if key is None or not key.allows_ip(remote):
        raise REJECTED_KEY
    return key


def check_timestamp(params: Mapping[str, str], now_ms: int) -> None:
    ts_text = params.get("timestamp", "")
    if not INT_RE.match(ts_text):
        raise mandatory("timestamp")
    window_text = params.get("recvWindow")
    window = DEFAULT_RECV_WINDOW
    if window_text is not None:
        if not INT_RE.match(window_text):
            raise illegal("recvWindow", INT_RE.pattern)
        window = int(window_text)
        if window > MAX_RECV_WINDOW:
            raise BinanceError(400, -1131, "recvWindow must be less than 60000")
    ts = int(ts_text)
    if ts >= now_ms + AHEAD_TOLERANCE_MS:
        raise BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_ms - ts > window:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def authenticate_rest(
    keys: Mapping[str, ApiKey],
    key_id: str | None,
    query: str,
    body: str,
    params: Mapping[str, str],
    remote: str | None,
    now_ms: int,
) -> ApiKey:
    """Verify a SIGNED request (key, IP, timestamp window, signature); raise the BinanceError Binance sends."""
    key = check_key(keys, key_id, remote)
    signed_query, sig_q = strip_signature(query)
    signed_body, sig_b = strip_signature(body)
    signature = sig_q or sig_b
    check_timestamp(params, now_ms)
    if not signature:
        raise mandatory("signature")
    expected = sign(key.secret, signed_query + signed_body)
    if not hmac.compare_digest(signature.lower(), expected):
        raise BAD_SIGNATURE
    return key


def authenticate_ws(keys: Mapping[str, ApiKey], params: Any, remote: str | None, now_ms: int) -> ApiKey:
    """Verify a signed WS API request (params sorted by name, ``apiKey`` inside params)."""
    if not isinstance(params, dict):
        raise BinanceError(400, -1102, "Mandatory parameter 'params' was not sent, was empty/null, or malformed.")
    flat = {
        str(k): v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in params.items()
    }
    key = check_key(keys, flat.get("apiKey"), remote)
    check_timestamp(flat, now_ms)
    signature = flat.get("signature")
    if not signature:
        raise mandatory("signature")
    payload = "&".join(f"{k}={flat[k]}" for k in sorted(flat) if k != "signature")
    if not hmac.compare_digest(signature.lower(), sign(key.secret, payload)):
        raise BAD_SIGNATURE
    return key
