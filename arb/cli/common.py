"""What the command modules share: venue clients, loopback venues, signal handling and option parsing."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import difflib
import re
import signal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click


class InputError(click.ClickException):
    """Unusable input file or option: one line on stderr, exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"arb: {self.message}", err=True)


DEMO_SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"]


def make_exchanges(cfg: Any, *, credentials: bool = False, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ccxt.pro client per configured venue (public data only unless ``credentials``)."""
    import ccxt.pro as ccxtpro

    return {
        v.name: getattr(ccxtpro, v.ccxt_id)(v.ccxt_config(credentials=credentials) | (extra or {}))
        for v in cfg.active_venues()
    }


def sim_venues(text: str | None, hint: str = "--venues") -> list[str] | None:
    """``--venues`` for the loopback exchanges: None (all bundled) or known simulator venues, checked up front."""
    if text is None:
        return None
    from exchanges.sim.registry import available_venues

    names = [v.strip() for v in text.split(",") if v.strip()]
    known = available_venues()
    unknown = [v for v in names if v not in known]
    if unknown or not names:
        raise click.BadParameter(
            f"{text!r}: unknown simulated venue(s) {', '.join(unknown) or '(none given)'}; "
            f"available: {', '.join(known)}",
            param_hint=hint,
        )
    return list(dict.fromkeys(names))


PROFILES = ("demo", "realistic")  # the loopback market profiles (exchanges/sim/profiles.py)


def profile_option(fn: Any) -> Any:
    """``--profile demo|realistic`` for commands that start the loopback exchanges."""
    return click.option(
        "--profile",
        type=click.Choice(PROFILES),
        default="demo",
        show_default=True,
        help="Loopback market profile: demo (frequent dislocations, to show the product) or realistic "
        "(competitors, latency, liquidity that stays taken; see README 'The loopback exchanges').",
    )(fn)


def loopback(
    venues: list[str] | None,
    symbols: list[str],
    seed: int,
    *,
    rate_per_min: float = 6.0,
    bps: float = 35.0,
    profile: str = "demo",
) -> Any:
    """The bundled loopback exchanges as the demo and ``arb record --loopback`` run them (an async context
    manager). ``demo``: books every 100 ms, a dislocation of ``bps``..90 bps about ``rate_per_min`` times a
    minute. ``realistic``: the profile's own market, untouched (its cadence, latency, competitors, makers)."""
    from exchanges.sim.harness import LoopbackExchanges

    if profile != "demo":
        return LoopbackExchanges(venues=venues, symbols=symbols, seed=seed, profile=profile)
    return LoopbackExchanges(
        venues=venues,
        symbols=symbols,
        seed=seed,
        update_interval_ms=100,
        dislocation_rate_per_min=rate_per_min,
        dislocation_bps=(bps, 90.0),
    )


def loopback_options(sim: Any, *, keys: bool = True) -> dict[str, dict[str, Any]]:
    """Each loopback venue's ccxt options (its URLs), without the demo keys unless ``keys``."""
    secret = ("apiKey", "secret", "password")
    return {v: {k: x for k, x in sim.ccxt_config(v, key=None).items() if keys or k not in secret} for v in sim.venues}


def loopback_clients(sim: Any) -> dict[str, Any]:
    """One ccxt.pro client per loopback venue."""
    import ccxt.pro as ccxtpro

    return {v: getattr(ccxtpro, v)(opts) for v, opts in loopback_options(sim).items()}


def stop_on_signals(stop: Callable[[], Any]) -> None:
    """Call ``stop`` on Ctrl-C (SIGINT) or SIGTERM in the running loop (where the platform allows it)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")


def parse_since(text: str, now_ms: int | None = None) -> int:
    """``15m``/``2h``/``1d``/``30s`` ago, or an ISO-8601 time (UTC if no zone) → epoch ms."""
    now_ms = now_ms if now_ms is not None else int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    m = _DURATION.match(text.strip())
    if m:
        mult = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}[m.group(2)]
        return now_ms - int(float(m.group(1)) * mult)
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise click.BadParameter(
            f"{text!r}: use 15m, 2h, 1d or an ISO time like 2026-11-25T13:00", param_hint="--since"
        ) from e
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return int(t.timestamp() * 1000)


def match_symbol(journal: Any, symbol: str | None) -> str | None:
    """``symbol`` as the journal spells it (ccxt symbols are upper-case: ``btc/usdt`` finds BTC/USDT). One the
    journal has no episodes for is kept as given, with a hint on stderr naming the symbols it has."""
    if symbol is None:
        return None
    known = journal.symbols()
    if symbol in known:
        return symbol
    same = [s for s in known if s.casefold() == symbol.casefold()]
    if len(same) == 1:
        return same[0]
    close = difflib.get_close_matches(symbol.upper(), known, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    click.echo(
        f"no episodes for {symbol} in {journal.path}{hint} (symbols there: {', '.join(known) or 'none'})", err=True
    )
    return symbol


def decimal_option(text: str | None, name: str) -> Decimal | None:
    """A finite Decimal from an option's text (None stays None); anything else is a usage error (exit 2)."""
    if text is None:
        return None
    try:
        value = Decimal(text)
    except ArithmeticError as e:
        raise click.BadParameter(f"{text!r} is not a number", param_hint=name) from e
    if not value.is_finite():
        raise click.BadParameter(f"{text!r} is not a finite number", param_hint=name)
    return value
