"""OKX authentication and error codes: REST header signing, WS login, the venue's real error bodies.

REST: ``OK-ACCESS-SIGN = base64(HMAC_SHA256(secret, timestamp + METHOD + requestPath[?query] + body))``,
timestamp ISO-8601 with milliseconds, accepted within 30 s of server time. WS login signs
``timestamp + 'GET' + '/users/self/verify'`` with a timestamp in seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from exchanges.sim.base import ApiKey
from exchanges.sim.orders import Reject

TIMESTAMP_WINDOW_MS = 30_000


class OkxError(Exception):
    """An OKX error response: HTTP status plus the ``{"code","msg","data"}`` body."""

    def __init__(self, status: int, code: str, msg: str, data: list[Any] | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.status, self.code, self.msg, self.data = status, code, msg, data or []

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "data": self.data, "msg": self.msg}


def bad_param(name: str) -> OkxError:
    return OkxError(400, "51000", f"Parameter {name} error")


def missing_param(name: str) -> OkxError:
    return OkxError(400, "50014", f"Parameter {name} can not be empty.")


RATE_LIMITED = OkxError(429, "50011", "Too Many Requests")
UNAVAILABLE = OkxError(503, "50001", "Service temporarily unavailable. Please try again later.")
NO_PERMISSION = OkxError(401, "50120", "API key doesn't have permission")
# an order request landing after its ``expTime`` header: per order, as OKX reports an expired request
EXPIRED = ("50102", "Timestamp request expired")
# the answer of ``order_error_after_accept``: OKX's system-busy error (the order may still have been processed)
BUSY = OkxError(503, "50013", "Systems are busy. Please try again later.")

# matching-engine reject reason -> (sCode, sMsg) as OKX reports them inside ``data``
REJECT_CODES: dict[str, tuple[str, str]] = {
    "unknown_symbol": ("51001", "Instrument ID does not exist."),
    "bad_side": ("51000", "Parameter side error"),
    "bad_type": ("51000", "Parameter ordType error"),
    "bad_amount": ("51000", "Parameter sz error"),
    "bad_price": ("51000", "Parameter px error"),
    "min_size": ("51020", "Your order should meet or exceed the minimum order amount."),
    "lot_size": ("51121", "Order quantity must be a multiple of the lot size."),
    "tick_size": ("51000", "Parameter px error"),
    "insufficient_balance": ("51008", "Order failed. Insufficient balance in account."),
    "duplicate_client_id": ("51016", "Duplicated clOrdId"),
    "bad_client_id": ("51000", "Parameter clOrdId error"),
    "not_found": ("51400", "Order cancellation failed as the order has been filled, canceled or does not exist."),
    "already_canceled": ("51401", "Order cancellation failed as the order has been canceled."),
    "already_filled": ("51402", "Order cancellation failed as the order has been completed."),
    "fault_reject": ("51006", "Order price is not within the price limit (max buy price: 0 min sell price: 0)"),
    "max_size": ("51203", "Order amount exceeds the limit."),
    "min_notional": ("51020", "Your order should meet or exceed the minimum order amount."),
    "max_notional": ("51203", "Order amount exceeds the limit."),
    "price_range": ("51000", "Parameter px error"),
    "price_limit": ("51006", "Order price is not within the price limit"),
}


def reject_code(e: Reject) -> tuple[str, str]:
    """(sCode, sMsg) for an engine reject; market orders over maxMktSz / maxMktAmt get OKX's market codes."""
    if e.detail.startswith("market") and e.reason == "max_size":
        return "51202", "Market order amount exceeds the maximum amount."
    if e.detail.startswith("market") and e.reason == "max_notional":
        return "51201", "Value of per market order cannot exceed 1,000,000 USDT."
    return REJECT_CODES[e.reason]


def sign(secret: str, prehash: str) -> str:
    mac = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def parse_iso_ms(text: str) -> int | None:
    try:
        if not text.endswith("Z"):
            return None
        return int(datetime.fromisoformat(text[:-1] + "+00:00").timestamp() * 1000)
    except ValueError:
        return None


def authenticate_rest(
    keys: dict[str, ApiKey],
    headers: Any,
    method: str,
    path_qs: str,
    body: str,
    remote: str | None,
    now_ms: int,
) -> ApiKey:
    """Return the key or raise the OkxError OKX returns (all HTTP 401)."""
    key_id = headers.get("OK-ACCESS-KEY", "")
    passphrase = headers.get("OK-ACCESS-PASSPHRASE", "")
    signature = headers.get("OK-ACCESS-SIGN", "")
    timestamp = headers.get("OK-ACCESS-TIMESTAMP", "")
    if not key_id:
        raise OkxError(401, "50103", 'Request header "OK-ACCESS-KEY" can not be empty.')
    if not passphrase:
        raise OkxError(401, "50104", 'Request header "OK-ACCESS-PASSPHRASE" can not be empty.')
    if not signature:
        raise OkxError(401, "50106", 'Request header "OK-ACCESS-SIGN" can not be empty.')
    if not timestamp:
        raise OkxError(401, "50107", 'Request header "OK-ACCESS-TIMESTAMP" can not be empty.')
    ts = parse_iso_ms(timestamp)
    if ts is None:
        raise OkxError(401, "50112", "Invalid OK-ACCESS-TIMESTAMP")
    if abs(now_ms - ts) > TIMESTAMP_WINDOW_MS:
        raise OkxError(401, "50102", "Timestamp request expired")
    key = keys.get(key_id)
    if key is None:
        raise OkxError(401, "50111", "Invalid OK-ACCESS-KEY")
    if not key.allows_ip(remote):
        raise OkxError(401, "50110", f"Your IP {remote} is not included in your API key's IP whitelist.")
    if not hmac.compare_digest(passphrase, key.passphrase):
        raise OkxError(401, "50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.')
    expected = sign(key.secret, timestamp + method.upper() + path_qs + body)
    if not hmac.compare_digest(signature, expected):
        raise OkxError(401, "50113", "Invalid Sign")
    return key


def login_error(keys: dict[str, ApiKey], arg: Any, remote: str | None, now_ms: int) -> tuple[str, str] | None:
    """Check one WS login arg; None when valid, else (code, msg) as OKX sends them."""
    if not isinstance(arg, dict):
        return "60012", "Illegal request"
    key_id, passphrase = str(arg.get("apiKey", "")), str(arg.get("passphrase", ""))
    timestamp, signature = str(arg.get("timestamp", "")), str(arg.get("sign", ""))
    if not key_id:
        return "60001", '"OK-ACCESS-KEY" can not be empty'
    if not signature:
        return "60002", '"OK-ACCESS-SIGN" can not be empty'
    if not passphrase:
        return "60003", '"OK-ACCESS-PASSPHRASE" can not be empty'
    try:
        ts_ms = int(float(timestamp) * 1000)
    except ValueError:
        return "60004", "Invalid OK-ACCESS-TIMESTAMP"
    if abs(now_ms - ts_ms) > TIMESTAMP_WINDOW_MS:
        return "60006", "Timestamp request expired"
    key = keys.get(key_id)
    if key is None:
        return "60005", "Invalid OK-ACCESS-KEY"
    if not key.allows_ip(remote):
        return "60009", "Login failed."
    if not hmac.compare_digest(passphrase, key.passphrase):
        return "60024", "Wrong passphrase"
    if not hmac.compare_digest(signature, sign(key.secret, timestamp + "GET/users/self/verify")):
        return "60007", "Invalid sign"
    return None
