"""``arb sim``: run the loopback exchanges until Ctrl-C and print each venue's ccxt config as JSON.

One JSON object per venue per stdout line::

    {"venue": "okx", "config": {...ccxt.pro.okx(config)...}, "keys": {"trader": {...}, ...},
     "symbols": [...], "seed": 1}

Logs go to stderr. SIGINT/SIGTERM shut down cleanly with exit status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from typing import Any

import click

from exchanges.sim.faults import parse_fault_spec
from exchanges.sim.harness import PROFILE_STEP, LoopbackExchanges
from exchanges.sim.market import DEFAULT_SYMBOLS
from exchanges.sim.profiles import PROFILES
from exchanges.sim.registry import available_venues


def _pair(text: str, name: str, cast: type) -> tuple[Any, Any]:
    lo, sep, hi = text.partition(":")
    try:
        pair = (cast(lo), cast(hi if sep else lo))
    except ValueError:
        raise click.BadParameter(f"{name} must look like MIN:MAX (got {text!r})") from None
    if pair[0] > pair[1] or pair[0] < 0:
        raise click.BadParameter(f"{name} must be 0 <= MIN <= MAX (got {text!r})")
    return pair


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


@click.command("sim")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of prices, dislocations and faults.")
@click.option("--symbols", default=",".join(DEFAULT_SYMBOLS), show_default=True, help="Comma list of BASE/QUOTE.")
@click.option("--venues", default=",".join(available_venues()), show_default=True, help="Comma list of venues.")
@click.option("--faults", "fault_spec", default="", help="e.g. 'okx:gap_rate=0.01,disconnect_every=30s'.")
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default="demo",
    show_default=True,
    help="Market profile: demo (frequent dislocations) or realistic (latency, competitors, 1-tick books).",
)
@click.option(
    "--update-ms",
    type=click.IntRange(1, 60_000),
    default=None,
    help="Market step in ms (default: the profile's, demo 100, realistic 10).",
)
@click.option(
    "--dislocation-rate",
    type=click.FloatRange(0),
    default=None,
    help="Dislocations per minute per symbol (default: the profile's, demo 1.0, realistic 0.1).",
)
@click.option("--dislocation-bps", default=None, help="Size range MIN:MAX in bps (demo 15:40, realistic 5:30).")
@click.option(
    "--dislocation-ms", default=None, help="Duration range MIN:MAX in ms (demo 2000:8000, realistic 500:3000)."
)
@click.option(
    "--port",
    "base_port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="First port (venue i listens on PORT+i); 0 picks free ports.",
)
@click.option("--host", type=click.Choice(["127.0.0.1"]), default="127.0.0.1", show_default=True, help="Loopback only.")
@click.option("--duration", type=click.FloatRange(0), default=None, help="Stop after this many seconds.")
def sim_command(
    seed: int,
    symbols: str,
    venues: str,
    fault_spec: str,
    profile: str,
    update_ms: int | None,
    dislocation_rate: float | None,
    dislocation_bps: str | None,
    dislocation_ms: str | None,
    base_port: int,
    host: str,
    duration: float | None,
) -> None:
    """Run simulated exchanges on 127.0.0.1 until Ctrl-C; print one ccxt config per venue (JSON lines)."""
    venue_list, symbol_list = _csv(venues), _csv(symbols)
    unknown = [v for v in venue_list if v not in available_venues()]
    if unknown or not venue_list:
        raise click.BadParameter(
            f"unknown venue(s) {unknown}; available: {', '.join(available_venues())}", param_hint="--venues"
        )
    if not symbol_list or any(s.count("/") != 1 for s in symbol_list):
        raise click.BadParameter("symbols must be a comma list like BTC/USDT,ETH/USDT", param_hint="--symbols")
    try:
        faults = parse_fault_spec(fault_spec)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--faults") from None
    stray = [v for v in faults if v not in venue_list]
    if stray:
        raise click.BadParameter(f"faults for venues not running: {stray}", param_hint="--faults")
    overrides: dict[str, Any] = {}
    if dislocation_rate is not None:
        overrides["dislocation_rate_per_min"] = dislocation_rate
    if dislocation_bps is not None:
        overrides["dislocation_bps"] = _pair(dislocation_bps, "--dislocation-bps", float)
    if dislocation_ms is not None:
        overrides["dislocation_ms"] = _pair(dislocation_ms, "--dislocation-ms", int)
    ports = {v: base_port + i for i, v in enumerate(venue_list)} if base_port else {}
    sim = LoopbackExchanges(
        venues=venue_list,
        symbols=symbol_list,
        seed=seed,
        faults=faults,
        update_interval_ms=update_ms if update_ms is not None else PROFILE_STEP,
        ports=ports,
        profile=profile,
        **overrides,
    )
    asyncio.run(_serve(sim, duration))


async def _serve(sim: LoopbackExchanges, duration: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    stamps = os.environ.get("ARB_SIM_STAMPS")  # benchmarks only: record every book's send time
    async with sim:
        if stamps:
            for server in sim.servers.values():
                server.send_stamps = []
        for venue in sim.venues:
            keys = {
                name: {
                    "apiKey": k.key,
                    "secret": k.secret,
                    "password": k.passphrase,
                    "permissions": sorted(k.permissions),
                }
                for name, k in sim.keys[venue].items()
            }
            line = {
                "venue": venue,
                "config": sim.ccxt_config(venue, "trader"),
                "keys": keys,
                "symbols": sim.symbols,
                "seed": sim.seed,
            }
            sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        click.echo(f"arb sim: {', '.join(sim.venues)} on {', '.join(sim.base_urls.values())}; Ctrl-C to stop", err=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                await stop.wait()
        if stamps:
            sim.write_stamps(stamps)
    click.echo("arb sim: stopped", err=True)
