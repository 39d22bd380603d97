"""Value types shared by every stage. Frozen, slotted, Decimal for money.

Money enters from ccxt as floats (or strings) and is converted with :func:`dec` (through
``str``), so ``0.1`` becomes ``Decimal("0.1")`` and never ``0.1000000000000000055…``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from arb.core.errors import MarketError

Side = Literal["buy", "sell"]
# Where a venue charges its taker fee: "received" = in the currency the order receives
# (base on a buy, quote on a sell; OKX, Binance and Bybit spot), "quote" = always in quote.
FeeCurrency = Literal["received", "quote"]
FEE_CURRENCIES: tuple[str, ...] = ("received", "quote")

ZERO = Decimal(0)
ONE = Decimal(1)
BPS = Decimal(10_000)

# ccxt precision modes (ccxt.base.decimal_to_precision constants, public values).
DECIMAL_PLACES = 2
SIGNIFICANT_DIGITS = 3
TICK_SIZE = 4


def dec(x: Any) -> Decimal:
    """Convert a ccxt number (float, int, str, Decimal) to Decimal exactly as printed."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        raise TypeError(f"expected a number, got {x!r}")
    if isinstance(x, int):
        return Decimal(x)
    return Decimal(str(x))


BPS_QUANTUM = Decimal("0.0001")


def quantize_bps(x: Decimal) -> Decimal:
    """A bps ratio as the journal stores it and exports show it: to 0.0001 bps (1e-8 of the notional), half-even.

    Decisions use the exact ratio; net profit and cost, from which it derives, are stored exactly."""
    return x.quantize(BPS_QUANTUM, rounding=ROUND_HALF_EVEN) if x.is_finite() else x


def _step(value: Any, precision_mode: int, what: str, symbol: str) -> Decimal:
    if value is None:
        raise MarketError(f"market {symbol} has no precision.{what}; reload markets or fix the venue profile")
    v = dec(value)
    if precision_mode == TICK_SIZE:
        step = v
    elif precision_mode == DECIMAL_PLACES:
        step = Decimal(1).scaleb(-int(v))
    else:
        raise MarketError(f"market {symbol}: precision mode {precision_mode} is not supported (tick or decimals)")
    if not step.is_finite() or step <= 0:
        raise MarketError(f"market {symbol} has precision.{what}={value!r}; it must be a positive step")
    return step


def _opt(value: Any) -> Decimal | None:
    return None if value is None else dec(value)


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """What the evaluator needs of one venue's market: lot and tick grids and limits."""

    symbol: str
    base: str
    quote: str
    amount_step: Decimal
    price_step: Decimal
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("amount_step", "price_step"):
            v = getattr(self, name)
            if not isinstance(v, Decimal) or not v.is_finite() or v <= 0:
                raise MarketError(f"market {self.symbol}: {name} must be a positive Decimal, was {v!r}")
        for name in ("min_amount", "max_amount", "min_cost", "max_cost"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, Decimal) or not v.is_finite() or v < 0):
                raise MarketError(f"market {self.symbol}: {name} must be a non-negative Decimal, was {v!r}")

    @classmethod
    def from_ccxt(cls, market: Mapping[str, Any], precision_mode: int = TICK_SIZE) -> MarketSpec:
        """Build from a ccxt market dict; missing precision is a :class:`MarketError`."""
        symbol = market.get("symbol") or "?"
        precision = market.get("precision")
        limits = market.get("limits")
        if not isinstance(precision, dict):
            raise MarketError(f"market {symbol} has no precision; reload markets or fix the venue profile")
        if not isinstance(limits, dict):
            raise MarketError(f"market {symbol} has no limits; reload markets or fix the venue profile")
        amount = limits.get("amount") or {}
        cost = limits.get("cost") or {}
        return cls(
            symbol=symbol,
            base=market.get("base") or symbol.split("/")[0],
            quote=market.get("quote") or symbol.split("/")[-1].split(":")[0],
            amount_step=_step(precision.get("amount"), precision_mode, "amount", symbol),
            price_step=_step(precision.get("price"), precision_mode, "price", symbol),
            min_amount=_opt(amount.get("min")),
            max_amount=_opt(amount.get("max")),
            min_cost=_opt(cost.get("min")),
            max_cost=_opt(cost.get("max")),
        )


@dataclass(frozen=True, slots=True)
class Fee:
    """A venue's taker fee for one symbol, where it is charged, and where the rate came from."""

    taker: Decimal
    currency: FeeCurrency = "received"
    source: str = "config"  # "account" (fetch_trading_fee), "config", or "market" (ccxt default)

    def __post_init__(self) -> None:
        if not isinstance(self.taker, Decimal) or not self.taker.is_finite() or not ZERO <= self.taker < ONE:
            raise ValueError(f"taker fee must be a Decimal in [0, 1), was {self.taker!r}")
        if self.currency not in FEE_CURRENCIES:
            raise ValueError(f"fee currency must be one of {FEE_CURRENCIES}, was {self.currency!r}")


@dataclass(frozen=True, slots=True)
class Limits:
    """Thresholds for acting on an opportunity (quote currency unless named bps)."""

    min_net_bps: Decimal = ZERO
    min_net_profit: Decimal = ZERO
    max_notional: Decimal | None = None  # cap on B·VWAP_buy (quote spent before fees)
    slippage_bps: Decimal = ZERO

    def __post_init__(self) -> None:
        for name in ("min_net_bps", "min_net_profit", "slippage_bps"):
            v = getattr(self, name)
            if not isinstance(v, Decimal) or not v.is_finite() or v < 0:
                raise ValueError(f"{name} must be a non-negative Decimal, was {v!r}")
        if self.max_notional is not None and (
            not isinstance(self.max_notional, Decimal) or not self.max_notional.is_finite() or self.max_notional <= 0
        ):
            raise ValueError(f"max_notional must be a positive Decimal or None, was {self.max_notional!r}")


@dataclass(frozen=True, slots=True)
class Balances:
    """What can be spent: quote on the buy venue and base on the sell venue (None = unknown/unbounded)."""

    quote_on_buy: Decimal | None = None
    base_on_sell: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of an opportunity as it would be sent: amount, walked VWAP, worst level, limit price."""

    venue: str
    side: Side
    amount: Decimal  # base amount on the venue's lot grid
    vwap: Decimal  # volume-weighted price of the walked levels (no slippage buffer)
    worst_price: Decimal  # last level walked
    limit_price: Decimal  # price to send: worst level widened by the slippage buffer, on the tick grid
    fee_quote: Decimal  # taker fee valued in quote (a base fee valued at the buy VWAP)
    levels: int  # number of book levels walked


@dataclass(frozen=True, slots=True)
class Opportunity:
    """The size that maximises net profit for one (symbol, buy venue, sell venue), and its economics."""

    symbol: str
    buy: Leg
    sell: Leg
    cost: Decimal  # B·VWAP_buy' (+ quote fee), quote spent; ' = buffered by slippage
    proceeds: Decimal  # S·VWAP_sell'·(1 − f_sell), quote received
    gross_profit: Decimal  # net_profit + fees_quote
    fees_quote: Decimal
    net_profit: Decimal  # proceeds − cost
    net_bps: Decimal  # net_profit / cost × 10,000
    dust: Decimal = ZERO  # base left in inventory: B − fee in base − S
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def notional(self) -> Decimal:
        """B·VWAP_buy: the quote value traded, before buffer and fees — what ``max_notional`` caps."""
        return self.buy.amount * self.buy.vwap

    @property
    def buy_venue(self) -> str:
        return self.buy.venue

    @property
    def sell_venue(self) -> str:
        return self.sell.venue

    @property
    def key(self) -> tuple[str, str, str]:
        """(symbol, buy venue, sell venue): the unit everything downstream keys on."""
        return (self.symbol, self.buy.venue, self.sell.venue)


EpisodeEnd = Literal["gap", "stale", "shutdown", "crossed"]


@dataclass(slots=True)
class Episode:
    """One (symbol, buy venue, sell venue) opportunity while it stays open.

    Mutable on purpose: the engine updates it in place per evaluation; stores copy the fields.
    Starts with the first evaluation yielding an opportunity for the key; ends when none has for
    ``episode_gap_ms`` or either book goes stale (``end_reason``).
    """

    id: str
    symbol: str
    buy_venue: str
    sell_venue: str
    start_ms: int
    last_ms: int  # time of the last evaluation that yielded an opportunity
    evaluations: int = 1
    peak: Opportunity | None = None
    last: Opportunity | None = None
    end_ms: int | None = None
    end_reason: EpisodeEnd | None = None
    # whether the inventory it uses can be restored by transfers (arb.inventory.marks): "yes" / "no" /
    # "unknown", the cost of one restoring transfer each way per unit of base (quote), and the networks or why not
    transferable: str | None = None
    transfer_cost: Decimal | None = None
    transfer_detail: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.symbol, self.buy_venue, self.sell_venue)

    @property
    def duration_ms(self) -> int:
        return (self.end_ms if self.end_ms is not None else self.last_ms) - self.start_ms
