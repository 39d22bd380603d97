"""Venue id -> dialect module. A dialect module exposes ``DIALECT: DialectSpec``.

Adding a venue = a subpackage ``exchanges/sim/<venue>/`` with an ``app.py`` defining ``DIALECT``,
plus one line here.
"""

from __future__ import annotations

import importlib

from exchanges.sim.base import DialectSpec

DIALECT_MODULES: dict[str, str] = {
    "okx": "exchanges.sim.okx.app",
    "binance": "exchanges.sim.binance.app",
    "bybit": "exchanges.sim.bybit.app",
}


def available_venues() -> list[str]:
    return list(DIALECT_MODULES)


def get_dialect(venue: str) -> DialectSpec:
    try:
        module = DIALECT_MODULES[venue]
    except KeyError:
        raise ValueError(f"no simulator dialect for venue {venue!r}; known: {', '.join(DIALECT_MODULES)}") from None
    spec = importlib.import_module(module).DIALECT
    assert isinstance(spec, DialectSpec), module
    return spec
