"""Which symbols this process runs: ``scanner.symbols = "auto"`` resolved, then this shard's part of them.

:func:`plan_symbols` is what ``arb scan`` and ``arb run`` call before they build their scanner or trader:
discovery (when asked) uses its own short-lived public clients, so the run's clients start clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any

from arb.config import Config
from arb.config._scale_keys import AUTO_SYMBOLS
from arb.core.errors import ConfigError
from arb.core.kinds import EventKind
from arb.scale.discovery import Discovery, discover
from arb.scale.partition import Shard


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    cfg: Config  # scanner.symbols = this process's symbols
    all_symbols: tuple[str, ...]  # every shard's
    discovery: Discovery | None
    shard: Shard | None

    def lines(self) -> list[str]:
        """What is printed and journaled (event ``symbols``)."""
        out = [self.discovery.line()] if self.discovery is not None else []
        if self.shard is not None and self.shard.count > 1:
            mine = self.cfg.scanner.symbols
            out.append(f"shard {self.shard}: {len(mine)} of {len(self.all_symbols)} symbols: {', '.join(mine)}")
        return out


async def _discover(cfg: Config, make_clients: Callable[[Config], dict[str, Any]]) -> Discovery:
    clients = make_clients(cfg)
    try:
        s = cfg.scanner
        return await discover(clients, quotes=s.quotes, min_quote_volume=s.min_quote_volume, max_symbols=s.max_symbols)
    finally:
        for c in clients.values():
            with contextlib.suppress(Exception):
                await c.close()


def plan_symbols(cfg: Config, shard: Shard | None, make_clients: Callable[[Config], dict[str, Any]]) -> Plan:
    """Resolve ``"auto"`` (asking the venues) and keep ``shard``'s symbols; one-line errors when none remain."""
    found: Discovery | None = None
    symbols = cfg.scanner.symbols
    if symbols == AUTO_SYMBOLS:
        found = asyncio.run(_discover(cfg, make_clients))
        if not found.symbols:
            raise ConfigError(
                f'scanner.symbols = "auto": no symbol is listed on two of {", ".join(cfg.scanner.venues)} with '
                f"quotes {list(cfg.scanner.quotes)} and 24 h volume >= {cfg.scanner.min_quote_volume}"
            )
        symbols = found.symbols
    mine = tuple(shard.mine(symbols)) if shard is not None else symbols
    if not mine:
        raise ConfigError(
            f"--shard {shard}: owns none of the {len(symbols)} symbols (crc32(symbol) mod N); use fewer workers"
        )
    return Plan(with_symbols(cfg, mine), tuple(symbols), found, shard)


def with_symbols(cfg: Config, symbols: tuple[str, ...]) -> Config:
    return dataclasses.replace(cfg, scanner=dataclasses.replace(cfg.scanner, symbols=symbols))


def announce(plan: Plan, event: Callable[[str | None, str | None, str, str], None] | None = None) -> None:
    """Print the plan's lines on stderr and journal each as an event of kind ``symbols``."""
    import click

    for line in plan.lines():
        click.echo(line, err=True)
        if event is not None:
            event(None, None, EventKind.SYMBOLS, line)
