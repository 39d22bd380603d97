"""Bybit v5 authentication and errors: header signing, recv_window, WS auth, the venue's real error bodies.

REST: ``X-BAPI-SIGN = hex(HMAC_SHA256(secret, timestamp + apiKey + recvWindow + payload))`` where the
payload is the query string (GET) or the JSON body (POST); headers ``X-BAPI-API-KEY``,
``X-BAPI-TIMESTAMP`` (ms), ``X-BAPI-RECV-WINDOW`` (default 5000). Accepted when
``server_time - recv_window <= timestamp < server_time + 1000``.
WS: ``{"op": "auth", "args": [apiKey, expires, hex(HMAC_SHA256(secret, "GET/realtime" + expires))]}``.
Errors are HTTP 200 ``{"retCode": N, "retMsg": ..., "result": {}, "retExtInfo": {}, "time": ...}``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from exchanges.sim.base import ApiKey
from exchanges.sim.orders import Reject

DEFAULT_RECV_WINDOW = 5_000
AHEAD_TOLERANCE_MS = 1_000


class BybitError(Exception):
    """A Bybit error: ``retCode``/``retMsg`` (HTTP 200 unless ``status`` says otherwise)."""

    def __init__(self, code: int, msg: str, status: int = 200) -> None:
        super().__init__(f"{code} {msg}")
        self.code, self.msg, self.status = code, msg, status

    def body(self, now_ms: int) -> dict[str, Any]:
        return {"retCode": self.code, "retMsg": self.msg, "result": {}, "retExtInfo": {}, "time": now_ms}


def param_error(detail: str) -> BybitError:
    return BybitError(10001, f"params error: {detail}")


def invalid_value(name: str) -> BybitError:
    return BybitError(170130, f"Data sent for parameter '{name}' is not valid.")


INVALID_KEY = BybitError(10003, "API key is invalid.")
NO_PERMISSION = BybitError(10005, "Permission denied, please check your API key permissions.")
UNMATCHED_IP = BybitError(10010, "Unmatched IP, please check your API key's bound IP addresses.")
TOO_MANY_VISITS = BybitError(10006, "Too many visits!")
INVALID_SYMBOL = BybitError(170121, "Invalid symbol.")
ORDER_NOT_EXISTS = BybitError(170213, "Order does not exist.")
MIN_VALUE = BybitError(170140, "Order value exceeded lower limit.")
MALFORMED_JSON = BybitError(10001, "Request parameter error.")
# the answer of ``order_error_after_accept``: Bybit's server error (the order may still have been processed)
SYSTEM_ERROR = BybitError(10016, "System error. Please try again later.")

# matching-engine reject reason -> Bybit's spot error
REJECT_CODES: dict[str, BybitError] = {
    "unknown_symbol": INVALID_SYMBOL,
    "bad_side": param_error("side invalid"),
    "bad_type": param_error("orderType invalid"),
    "bad_amount": invalid_value("qty"),
    "bad_price": invalid_value("price"),
    "min_size": BybitError(170136, "Order quantity exceeded lower limit."),
    "lot_size": BybitError(170137, "Order quantity has too many decimals."),
    "tick_size": BybitError(170134, "Order price has too many decimals."),
    "insufficient_balance": BybitError(170131, "Insufficient balance."),
    "duplicate_client_id": BybitError(170141, "Duplicate clientOrderId."),
    "bad_client_id": param_error("orderLinkId invalid"),
    "not_found": ORDER_NOT_EXISTS,
    "already_canceled": ORDER_NOT_EXISTS,
    "already_filled": ORDER_NOT_EXISTS,
    "fault_reject": BybitError(170210, "New order rejected."),
    "max_size": BybitError(170135, "Order quantity exceeded upper limit."),
    "min_notional": MIN_VALUE,
    "max_notional": BybitError(170124, "Order amount exceeded upper limit."),
    "price_range": BybitError(170133, "Order price lower than the minimum."),
    "price_limit": BybitError(170193, "Buy order price cannot be higher than 0."),
}


def reject_error(e: Reject) -> BybitError:
    """The Bybit error for an engine reject; a price-limit breach names the limit as Bybit does."""
    if e.reason == "price_limit" and e.bound is not None:
        bound = f"{e.bound:.4f}"
        if e.side == "buy":
            return BybitError(170193, f"Buy order price cannot be higher than {bound}.")
        return BybitError(170194, f"Sell order price cannot be lower than {bound}.")
    return REJECT_CODES[e.reason]


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def authenticate_rest(
    keys: Mapping[str, ApiKey], headers: Mapping[str, str], payload: str, remote: str | None, now_ms: int
) -> ApiKey:
    """Verify key, IP, timestamp window and signature; raise the BybitError Bybit returns."""
    key_id = headers.get("X-BAPI-API-KEY", "")
    ts_text = headers.get("X-BAPI-TIMESTAMP", "")
    signature = headers.get("X-BAPI-SIGN", "")
    window_text = headers.get("X-BAPI-RECV-WINDOW", str(DEFAULT_RECV_WINDOW))
    key = keys.get(key_id) if key_id else None
    if key is None:
        raise INVALID_KEY
    if not key.allows_ip(remote):
        raise UNMATCHED_IP
    if not ts_text.isdigit() or not window_text.isdigit():
        raise BybitError(10002, "invalid request, please check your server timestamp or recv_window param")
    ts, window = int(ts_text), int(window_text)
    if not now_ms - window <= ts < now_ms + AHEAD_TOLERANCE_MS:
        raise BybitError(
            10002,
            "invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{ts}],server_timestamp[{now_ms}],recv_window[{window}]",
        )
    origin = ts_text + key_id + window_text + payload
    if not signature or not hmac.compare_digest(signature.lower(), sign(key.secret, origin)):
        raise BybitError(10004, f"error sign! origin_string[{origin}]")
    return key


def ws_auth_error(keys: Mapping[str, ApiKey], args: Any, remote: str | None, now_ms: int) -> str | None:
    """Check a WS ``auth`` request; None when valid, else the ``ret_msg`` Bybit sends with success=false."""
    if not isinstance(args, list) or len(args) != 3 or not all(isinstance(a, str | int) for a in args):
        return "Params Error"
    key_id, expires, signature = str(args[0]), str(args[1]), str(args[2])
    key = keys.get(key_id)
    if key is None:
        return "error:apiKey not found"
    if not key.allows_ip(remote):
        return "error:IP not whitelisted"
    if not expires.isdigit() or int(expires) <= now_ms:
        return "error:request expired"
    if not hmac.compare_digest(signature.lower(), sign(key.secret, "GET/realtime" + expires)):
        return "error:signature verification failed"
    return None
