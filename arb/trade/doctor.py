"""``arb doctor``: is each configured venue ready for what the config asks of it? One line per check.

Per venue: connectivity and latency (``fetch_time``), clock skew against the venue's server time,
markets for the configured symbols, whether the API key authenticates, can trade, **can withdraw**
(a warning: trading keys should not) and is restricted to whitelisted IPs (a warning if not) —
read from the venue's key-info endpoint through ccxt's implicit API (OKX
``privateGetAccountConfig`` → ``perm``/``ip``; Binance ``sapiGetAccountApiRestrictions``; Bybit
``privateGetV5UserQueryApi``) — the current taker/maker fee (and tier where the venue says), and
balances against ``risk.min_balances``. Status ``ok``, ``warn`` or ``fail``; any ``fail`` makes the
command exit 1.

Start-up calls of a run (:func:`startup_call`: the key check here, ``load_markets`` in the trader) are
idempotent reads, so a transient failure (ccxt ``NetworkError``: HTTP 429, 5xx, request timeout; or a hung
request past ``CALL_TIMEOUT_S``) is retried up to ``STARTUP_ATTEMPTS`` times with jittered exponential
back-off (:func:`arb.trade.orders.idempotent`), each retry logged as a ``startup.retry`` warning; only a
persistent failure stops the run, as one line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, TypeVar

import ccxt.pro as ccxtpro

from arb.config import Config, VenueConfig
from arb.core.errors import ArbError
from arb.core.model import BPS, dec
from arb.trade.orders import brief, idempotent

log = logging.getLogger(__name__)
T = TypeVar("T")

SKEW_WARN_MS = 500
SKEW_FAIL_MS = 5000
CALL_TIMEOUT_S = 10.0
STARTUP_ATTEMPTS = 4  # tries of one start-up call before the run gives up
STARTUP_BACKOFF_S = 0.5  # first back-off; doubles per retry, jittered x0.5..1.5 (at most ~5 s in all)


async def startup_call(
    venue: str,
    what: str,
    call: Callable[[], Awaitable[T]],
    *,
    timeout_s: float = CALL_TIMEOUT_S,
    attempts: int = STARTUP_ATTEMPTS,
    base_s: float = STARTUP_BACKOFF_S,
    throttle: Any | None = None,
) -> T:
    """Run an idempotent start-up request; retry transient failures (429, 5xx, timeouts) with jittered
    back-off, logging ``startup.retry`` for each; re-raise the last error once ``attempts`` are used up."""
    tried = 0

    async def once() -> T:
        nonlocal tried
        tried += 1
        try:
            async with asyncio.timeout(timeout_s):
                return await call()
        except (ccxtpro.NetworkError, TimeoutError) as e:
            if tried < attempts:
                log.warning(
                    "startup.retry venue=%s call=%s attempt=%d/%d error=%s",
                    venue,
                    what,
                    tried,
                    attempts,
                    brief(e) if str(e) else f"no answer within {timeout_s:g} s",
                )
            raise

    # idempotent's own timeout is only a backstop: once() times each attempt and says so
    return await idempotent(once, timeout_s=timeout_s + 1, attempts=attempts, base_s=base_s, throttle=throttle)


@dataclass(frozen=True, slots=True)
class Check:
    venue: str
    name: str
    status: str  # ok | warn | fail
    detail: str

    def line(self) -> str:
        return f"{self.status.upper():<4} {self.venue:<10} {self.name:<11} {self.detail}"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a key may do, as the venue reports it (None = the venue did not say)."""

    can_trade: bool | None
    can_withdraw: bool | None
    ip_restricted: bool | None
    permissions: str  # the venue's own words, for messages
    ips: str = ""
    tier: str | None = None


def _okx(raw: Any) -> KeyInfo:
    d = (raw.get("data") or [{}])[0]
    perms = {p.strip() for p in str(d.get("perm", "")).split(",") if p.strip()}
    ip = str(d.get("ip") or "")
    return KeyInfo(
        "trade" in perms, "withdraw" in perms, bool(ip), ",".join(sorted(perms)) or "none", ip, d.get("level") or None
    )


def _binance(raw: Any) -> KeyInfo:
    perms = [k for k in ("enableReading", "enableSpotAndMarginTrading", "enableWithdrawals") if raw.get(k)]
    return KeyInfo(
        bool(raw.get("enableSpotAndMarginTrading")),
        bool(raw.get("enableWithdrawals")),
        bool(raw.get("ipRestrict")),
        ",".join(perms) or "none",
    )


def _bybit(raw: Any) -> KeyInfo:
    r = raw.get("result") or {}
    perms = r.get("permissions") or {}
    spot = perms.get("Spot") or []
    wallet = perms.get("Wallet") or []
    ips = [str(x) for x in (r.get("ips") or [])]
    restricted = bool(ips) and ips != ["*"]
    read_only = str(r.get("readOnly", "0")) in ("1", "true", "True")
    summary = ";".join(f"{k}:{','.join(v)}" for k, v in perms.items() if v) or "none"
    return KeyInfo(
        not read_only and "SpotTrade" in spot,
        "Withdraw" in wallet,
        restricted,
        ("readOnly;" if read_only else "") + summary,
        ",".join(ips),
    )


KEY_INFO = {
    "okx": ("private_get_account_config", _okx),
    "binance": ("sapi_get_account_apirestrictions", _binance),
    "bybit": ("private_get_v5_user_query_api", _bybit),
}


UNKNOWN_WITHDRAW = (
    "{venue}'s API as arb reads it cannot tell whether this key can withdraw (arb reads key permissions on "
    + ", ".join(KEY_INFO)
    + "): check on the venue that it cannot; arb never withdraws"
)


async def key_info(client: Any) -> KeyInfo | None:
    """Read the key's permissions from the venue; None when arb does not know this venue's endpoint."""
    entry = KEY_INFO.get(getattr(client, "id", ""))
    if entry is None:
        return None
    method, parse = entry
    async with asyncio.timeout(CALL_TIMEOUT_S):
        raw = await getattr(client, method)()
    return parse(raw)


async def ensure_can_trade(venue: str, client: Any) -> KeyInfo | None:
    """Raise a one-line ArbError unless the venue's key authenticates and may trade (live start-up).

    Transient failures of the key check are retried (:func:`startup_call`); a refused key is not."""
    try:
        info = await startup_call(venue, "key_check", lambda: key_info(client))
    except ccxtpro.AuthenticationError as e:
        raise ArbError(f"{venue}: the API key was refused ({brief(e)}); check the key, secret and passphrase") from e
    except (ccxtpro.NetworkError, TimeoutError) as e:
        why = brief(e) if str(e) else "no answer"
        raise ArbError(
            f"{venue}: cannot read the API key's permissions after {STARTUP_ATTEMPTS} attempts ({why}); "
            "check the venue's status, then run `arb doctor`"
        ) from e
    except ccxtpro.BaseError as e:
        raise ArbError(f"{venue}: cannot read the API key's permissions ({brief(e)}); run `arb doctor`") from e
    if info is not None and info.can_trade is False:
        raise ArbError(
            f"{venue}: the API key cannot trade (permissions: {info.permissions}); live trading needs a key with "
            "trade permission (and no withdraw permission)"
        )
    return info


async def check_venue(v: VenueConfig, client: Any, cfg: Config) -> list[Check]:
    name = v.name
    out: list[Check] = []
    try:
        before = time.time() * 1000
        t0 = time.monotonic()
        async with asyncio.timeout(CALL_TIMEOUT_S):
            server_ms = await client.fetch_time()
        latency = (time.monotonic() - t0) * 1000
        mid = before + latency / 2
    except Exception as e:
        return [Check(name, "connect", "fail", f"cannot reach the venue: {brief(e)}")]
    out.append(Check(name, "connect", "ok", f"latency {latency:.0f} ms"))
    skew = int(server_ms - mid) if server_ms else 0
    status = "ok" if abs(skew) <= SKEW_WARN_MS else "warn" if abs(skew) <= SKEW_FAIL_MS else "fail"
    hint = "" if status == "ok" else "; sync this machine's clock (NTP), signed requests may be refused"
    out.append(Check(name, "clock", status, f"skew {skew:+d} ms vs the venue's server time{hint}"))
    try:
        async with asyncio.timeout(CALL_TIMEOUT_S):
            markets = await client.load_markets()
        missing = [s for s in cfg.scanner.symbols if s not in markets]
        have = len(cfg.scanner.symbols) - len(missing)
        text = f"{have}/{len(cfg.scanner.symbols)} symbols" + (f"; missing {', '.join(missing)}" if missing else "")
        out.append(Check(name, "markets", "warn" if missing else "ok", text))
    except Exception as e:
        out.append(Check(name, "markets", "fail", f"cannot load markets: {brief(e)}"))
    if not v.credentials.as_ccxt():
        need = "fail" if cfg.execution.mode == "live" else "ok"
        out.append(Check(name, "keys", need, f"no API key ({v.api_key_env} unset): public data only"))
        return out
    out += await _key_checks(name, client, cfg)
    return out


async def _key_checks(name: str, client: Any, cfg: Config) -> list[Check]:
    out: list[Check] = []
    try:
        async with asyncio.timeout(CALL_TIMEOUT_S):
            balance = await client.fetch_balance()
        out.append(Check(name, "keys", "ok", "API key authenticates"))
    except Exception as e:
        return [Check(name, "keys", "fail", f"API key refused: {brief(e)}")]
    try:
        info = await key_info(client)
    except Exception as e:
        info = None
        out.append(Check(name, "permissions", "warn", f"cannot read the key's permissions: {brief(e)}"))
    if info is None:  # arb never withdraws; when the venue cannot tell, the operator must check
        out.append(Check(name, "withdraw", "warn", UNKNOWN_WITHDRAW.format(venue=getattr(client, "id", name))))
    if info is not None:
        trade_status = "ok" if info.can_trade else ("fail" if cfg.execution.mode == "live" else "warn")
        can = "can" if info.can_trade else "cannot"
        out.append(Check(name, "trade", trade_status, f"key {can} trade (permissions: {info.permissions})"))
        withdraw = (
            "key CAN WITHDRAW: trading keys should not; create one without withdraw permission"
            if info.can_withdraw
            else "key cannot withdraw"
        )
        out.append(Check(name, "withdraw", "warn" if info.can_withdraw else "ok", withdraw))
        ip = (
            f"key restricted to {info.ips or 'whitelisted IPs'}"
            if info.ip_restricted
            else "key is not restricted to whitelisted IPs: add this machine's IP on the venue"
        )
        out.append(Check(name, "ip", "ok" if info.ip_restricted else "warn", ip))
    out.append(await _fee_check(name, client, cfg, info))
    out.append(_balance_check(name, balance, cfg.risk.min_balances.get(name, {})))
    return out


async def _fee_check(name: str, client: Any, cfg: Config, info: KeyInfo | None) -> Check:
    symbol = cfg.scanner.symbols[0]
    try:
        async with asyncio.timeout(CALL_TIMEOUT_S):
            fee = await client.fetch_trading_fee(symbol)
        taker, maker = dec(fee["taker"]) * BPS, dec(fee["maker"]) * BPS
        tier = f", tier {info.tier}" if info is not None and info.tier else ""
        t, m = format(taker.normalize(), "f"), format(maker.normalize(), "f")
        return Check(name, "fees", "ok", f"{symbol} taker {t} bps, maker {m} bps{tier}")
    except Exception as e:
        return Check(name, "fees", "warn", f"cannot fetch the account's fee for {symbol}: {brief(e)}")


def _balance_check(name: str, balance: Mapping[str, Any], minimums: Mapping[str, Decimal]) -> Check:
    totals = balance.get("free") or {}
    low = [f"{a} {dec(totals.get(a) or 0)} < {m}" for a, m in minimums.items() if dec(totals.get(a) or 0) < m]
    if low:
        return Check(name, "balances", "fail", "below risk.min_balances: " + ", ".join(low))
    shown = ", ".join(f"{a} {dec(x)}" for a, x in sorted(totals.items()) if x)[:200] or "empty"
    return Check(name, "balances", "ok", (f"{len(minimums)} minimum(s) met; " if minimums else "") + shown)


async def run_doctor(cfg: Config, clients: Mapping[str, Any] | None = None) -> list[Check]:
    """All checks for every configured venue (clients built from the config unless given; closed if built)."""
    own = clients is None
    if clients is None:
        clients = {v.name: getattr(ccxtpro, v.ccxt_id)(v.ccxt_config(credentials=True)) for v in cfg.active_venues()}
    try:
        results = await asyncio.gather(*(check_venue(v, clients[v.name], cfg) for v in cfg.active_venues()))
    finally:
        if own:
            for c in clients.values():
                try:
                    await c.close()
                except Exception:
                    pass
    return [c for r in results for c in r]


def as_json(checks: list[Check]) -> dict[str, Any]:
    return {"ok": not any(c.status == "fail" for c in checks), "checks": [asdict(c) for c in checks]}
