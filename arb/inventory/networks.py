"""Deposit and withdrawal networks per venue and asset, as ccxt reports them, and the routes between venues.

Pure: no I/O, no clock. :func:`from_ccxt` turns one venue's ``fetch_currencies()`` (plus, where the venue
gives it, ``fetch_deposit_withdraw_fees()``) into :class:`Network` values with Decimal fees and minimums;
:func:`route` picks the cheapest network on which an asset can leave one venue and reach another.

Tri-state: a venue whose transfer data arb could not load (no API keys: the currencies endpoints are
private on OKX, Binance and Bybit; or the call failed) is *unknown*, never guessed. ``Status`` is
``"yes"`` / ``"no"`` / ``"unknown"`` everywhere.

Network names: ccxt unifies network codes (``ERC20``, ``TRC20``, ``BTC``…); venues and ccxt versions
still differ for some chains (Binance's ``ETH`` is ERC20, ``TRX`` is TRC20, ``BSC`` is BEP20), so every
code goes through :func:`network_code` before two venues are compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Status = Literal["yes", "no", "unknown"]
STATUSES: tuple[str, ...] = ("yes", "no", "unknown")

# Codes that name the same chain: venue or ccxt spelling → the one arb compares on.
NETWORK_ALIASES = {
    "ETH": "ERC20",
    "ETHEREUM": "ERC20",
    "TRX": "TRC20",
    "TRON": "TRC20",
    "BSC": "BEP20",
    "BNBSMARTCHAIN": "BEP20",
    "BITCOIN": "BTC",
    "SOLANA": "SOL",
    "RIPPLE": "XRP",
    "DOGECOIN": "DOGE",
    "CARDANO": "ADA",
    "LITECOIN": "LTC",
    "CAVAX": "AVAXC",
    "AVAXCCHAIN": "AVAXC",
    "AVALANCHECCHAIN": "AVAXC",
    "MATIC": "POLYGON",
    "ARBONE": "ARBITRUM",
    "ARB": "ARBITRUM",
}
# Typical seconds per block, to estimate arrival from a confirmation count when the venue gives no time.
BLOCK_SECONDS = {
    "BTC": 600,
    "ERC20": 12,
    "TRC20": 3,
    "BEP20": 3,
    "SOL": 1,
    "XRP": 4,
    "DOGE": 60,
    "ADA": 20,
    "LTC": 150,
    "AVAXC": 2,
    "POLYGON": 2,
    "ARBITRUM": 1,
}
# Confirmation counts in the venue's own field names (ccxt keeps them only in ``info``).
_CONFIRMATION_FIELDS = ("minDepArrivalConfirm", "minConfirm", "confirmation", "confirmations")
_ARRIVAL_MINUTES_FIELDS = ("estimatedArrivalTime",)  # Binance, minutes


def network_code(code: str) -> str:
    """One venue's network code as arb compares it: upper case, spaces/dashes dropped, known aliases unified."""
    key = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return NETWORK_ALIASES.get(key, key)


def _dec(x: Any) -> Decimal | None:
    if x is None or isinstance(x, bool) or x == "":
        return None
    try:
        d = Decimal(str(x))
    except (InvalidOperation, ValueError):
        return None
    if not d.is_finite() or d < 0:
        return None
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()  # ccxt's 4.0 → 4, 0.10 → 0.1


def _int(x: Any) -> int | None:
    d = _dec(x)
    return None if d is None else int(d)


def _flag(x: Any) -> bool | None:
    return x if isinstance(x, bool) else None


@dataclass(frozen=True, slots=True)
class Network:
    """One asset on one network at one venue: whether it can be deposited / withdrawn there, and at what cost.

    ``None`` means the venue did not say. ``withdraw_fee`` is in the asset itself, taken from the amount
    withdrawn (received = amount − fee). ``arrival_s``: the venue's estimate (``arrival_source`` "venue"),
    else confirmations × the chain's typical block time ("confirmations"), else None."""

    venue: str
    asset: str
    network: str
    deposit: bool | None
    withdraw: bool | None
    withdraw_fee: Decimal | None
    withdraw_min: Decimal | None
    withdraw_step: Decimal | None = None
    confirmations: int | None = None
    arrival_s: int | None = None
    arrival_source: str = ""
    deposit_min: Decimal | None = None  # a deposit below this is not credited

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Network:
        return cls(
            venue=str(d["venue"]),
            asset=str(d["asset"]),
            network=str(d["network"]),
            deposit=_flag(d.get("deposit")),
            withdraw=_flag(d.get("withdraw")),
            withdraw_fee=_dec(d.get("withdraw_fee")),
            withdraw_min=_dec(d.get("withdraw_min")),
            withdraw_step=_dec(d.get("withdraw_step")),
            confirmations=_int(d.get("confirmations")),
            arrival_s=_int(d.get("arrival_s")),
            arrival_source=str(d.get("arrival_source") or ""),
            deposit_min=_dec(d.get("deposit_min")),
        )


def _arrival(code: str, info: Mapping[str, Any], confirmations: int | None) -> tuple[int | None, str]:
    for k in _ARRIVAL_MINUTES_FIELDS:
        minutes = _dec(info.get(k))
        if minutes is not None and minutes > 0:
            return int(minutes * 60), "venue"
    if confirmations is not None and code in BLOCK_SECONDS:
        return confirmations * BLOCK_SECONDS[code], "confirmations"
    return None, ""


def from_ccxt(
    venue: str,
    currencies: Mapping[str, Any],
    assets: Iterable[str],
    fees: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Network]]:
    """asset → network code → :class:`Network` for ``assets``, from ccxt's ``fetch_currencies()`` result
    (``fees``: ``fetch_deposit_withdraw_fees()``, used where the currency entry has no fee). An asset the venue
    does not list gets no networks (it cannot be moved there); ccxt floats enter through ``str``."""
    out: dict[str, dict[str, Network]] = {}
    for asset in assets:
        cur = currencies.get(asset) or {}
        nets = cur.get("networks") or {}
        fee_nets = ((fees or {}).get(asset) or {}).get("networks") or {}
        by_code: dict[str, Network] = {}
        for raw_code, n in nets.items():
            n = n or {}
            code = network_code(n.get("network") or raw_code)
            info = n.get("info") or {}
            limits = (n.get("limits") or {}).get("withdraw") or {}
            deposit_limits = (n.get("limits") or {}).get("deposit") or {}
            fee = _dec(n.get("fee"))
            if fee is None:
                fee = _dec(((fee_nets.get(raw_code) or {}).get("withdraw") or {}).get("fee"))
            confirmations = next((c for k in _CONFIRMATION_FIELDS if (c := _int(info.get(k))) is not None), None)
            arrival_s, arrival_source = _arrival(code, info, confirmations)
            inactive = n.get("active") is False  # a network the venue marks inactive moves nothing either way
            by_code[code] = Network(
                venue=venue,
                asset=asset,
                network=code,
                deposit=False if inactive else _flag(n.get("deposit")),
                withdraw=False if inactive else _flag(n.get("withdraw")),
                withdraw_fee=fee,
                withdraw_min=_dec(limits.get("min")),
                withdraw_step=_dec(n.get("precision")),
                confirmations=confirmations,
                arrival_s=arrival_s,
                arrival_source=arrival_source,
                deposit_min=_dec(deposit_limits.get("min")),
            )
        out[asset] = dict(sorted(by_code.items()))
    return out


@dataclass(frozen=True, slots=True)
class NetworkTable:
    """Every known venue's networks: venue → asset → network code → :class:`Network`. A venue missing from
    ``venues`` is unknown (no keys, or its data could not be loaded)."""

    venues: Mapping[str, Mapping[str, Mapping[str, Network]]] = field(default_factory=dict)

    def known(self, venue: str) -> bool:
        return venue in self.venues

    def networks(self, venue: str, asset: str) -> Mapping[str, Network]:
        return (self.venues.get(venue) or {}).get(asset) or {}

    def with_venue(self, venue: str, assets: Mapping[str, Mapping[str, Network]]) -> NetworkTable:
        return NetworkTable({**self.venues, venue: assets})

    def as_json(self) -> dict[str, Any]:
        return {
            v: {a: [n.as_json() for n in nets.values()] for a, nets in assets.items()}
            for v, assets in self.venues.items()
        }

    def dumps(self) -> str:
        return json.dumps(self.as_json(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> NetworkTable:
        return cls(
            {
                v: {a: {n["network"]: Network.from_json(n) for n in nets} for a, nets in assets.items()}
                for v, assets in d.items()
            }
        )


@dataclass(frozen=True, slots=True)
class Change:
    """A transfer direction that opened or closed: ``what`` is "deposit" or "withdraw", ``now`` "suspended",
    "resumed", "listed" (a new network) or "delisted"."""

    venue: str
    asset: str
    network: str
    what: str
    now: str

    @property
    def text(self) -> str:
        return f"{self.asset} {self.what} on {self.network} at {self.venue} {self.now}"


def changes(old: NetworkTable, new: NetworkTable) -> list[Change]:
    """What changed between two loads of the same venues (a venue new in ``new`` is a first load: no change)."""
    out: list[Change] = []
    for venue, assets in new.venues.items():
        if not old.known(venue):
            continue
        for asset in sorted(set(assets) | set(old.venues[venue])):
            before, after = old.networks(venue, asset), new.networks(venue, asset)
            for code in sorted(set(before) | set(after)):
                b, a = before.get(code), after.get(code)
                if b is None or a is None:
                    out.append(Change(venue, asset, code, "network", "listed" if b is None else "delisted"))
                    continue
                for what in ("withdraw", "deposit"):
                    was, now = getattr(b, what), getattr(a, what)
                    if was is not False and now is False:
                        out.append(Change(venue, asset, code, what, "suspended"))
                    elif was is False and now is not False:
                        out.append(Change(venue, asset, code, what, "resumed"))
    return out


@dataclass(frozen=True, slots=True)
class Route:
    """How ``asset`` can go from ``source`` to ``dest``: the cheapest open network, or why there is none."""

    asset: str
    source: str
    dest: str
    status: Status
    network: str | None = None
    fee: Decimal | None = None  # in the asset
    minimum: Decimal | None = None
    step: Decimal | None = None
    arrival_s: int | None = None
    arrival_source: str = ""
    reason: str = ""
    deposit_min: Decimal | None = None  # at the destination

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def _open(src: Network, dst: Network) -> Status:
    if src.withdraw is False or dst.deposit is False:
        return "no"
    if src.withdraw is None or dst.deposit is None:
        return "unknown"
    return "yes"


def routes(table: NetworkTable, asset: str, source: str, dest: str) -> list[Route]:
    """Every common network of ``asset`` between the two venues, open ones first, cheapest first."""
    src, dst = table.networks(source, asset), table.networks(dest, asset)
    out = []
    for code in sorted(set(src) & set(dst)):
        s, d = src[code], dst[code]
        status = _open(s, d)
        why = ""
        if status == "no":
            why = " and ".join(
                x
                for x in (
                    f"withdrawals suspended at {source}" if s.withdraw is False else "",
                    f"deposits suspended at {dest}" if d.deposit is False else "",
                )
                if x
            )
        elif status == "unknown":
            why = "the venue does not say whether transfers are open"
        out.append(
            Route(
                asset,
                source,
                dest,
                status,
                code,
                s.withdraw_fee,
                s.withdraw_min,
                s.withdraw_step,
                _later(s.arrival_s, d.arrival_s),
                s.arrival_source or d.arrival_source,
                why,
                d.deposit_min,
            )
        )
    rank = {"yes": 0, "unknown": 1, "no": 2}
    return sorted(out, key=lambda r: (rank[r.status], r.fee if r.fee is not None else Decimal("Infinity"), r.network))


def _later(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def route(table: NetworkTable, asset: str, source: str, dest: str) -> Route:
    """The cheapest open network for ``asset`` from ``source`` to ``dest``; status "unknown" when either venue's
    data is unknown, "no" (with the reason) when no common network is open."""
    missing = [v for v in (source, dest) if not table.known(v)]
    if missing:
        return Route(asset, source, dest, "unknown", reason=f"no transfer data for {', '.join(missing)} (no API keys?)")
    found = routes(table, asset, source, dest)
    if not found:
        listed = {v: sorted(table.networks(v, asset)) for v in (source, dest)}
        text = "; ".join(f"{v}: {', '.join(n) or 'not listed'}" for v, n in listed.items())
        return Route(asset, source, dest, "no", reason=f"no common {asset} network ({text})")
    best = found[0]
    if best.status == "no":
        return Route(asset, source, dest, "no", reason="; ".join(f"{r.network}: {r.reason}" for r in found))
    return best
