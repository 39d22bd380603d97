"""Shared fixtures for tests that run stock ccxt.pro clients against the loopback simulators.

Venue-independent: ``sim_factory`` starts :class:`LoopbackExchanges` with any venues and stops them,
``client_factory`` builds a ccxt.pro client from ``sim.ccxt_config`` and always closes it,
``eventually`` polls a condition under a deadline (for the rare case no event exists to await),
``http`` is a raw aiohttp session, ``setup`` is the live-setup kit (:class:`tests.kit.live.Setup`: simulators,
clients, journals and traders of one test, all closed at the end). Plain helpers live in
:mod:`tests.integration.sim_common` and :mod:`tests.kit`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import book_as_floats
from tests.kit.live import PAIR, AliasedLoopback, Setup, start_sim
from tests.kit.poll import eventually

SimFactory = Callable[..., Awaitable[LoopbackExchanges]]
ClientFactory = Callable[..., Any]


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@pytest.fixture
async def sim_factory() -> AsyncIterator[SimFactory]:
    sims: list[LoopbackExchanges] = []

    async def make(**kwargs: Any) -> LoopbackExchanges:
        kwargs.setdefault("update_interval_ms", 20)
        sim = LoopbackExchanges(**kwargs)
        sims.append(sim)
        await sim.start()
        return sim

    yield make
    for sim in sims:
        await sim.stop()


@pytest.fixture
async def client_factory() -> AsyncIterator[ClientFactory]:
    """``client_factory(sim, "okx", key="trader", **config_overrides)`` -> ccxt.pro client, closed at teardown.

    An aliased venue (``okx2``) gets a client of its dialect's class."""
    clients: list[Any] = []

    def make(sim: LoopbackExchanges, venue: str, key: str | None = "trader", **overrides: Any) -> Any:
        config = deep_merge(sim.ccxt_config(venue, key), overrides)
        client = getattr(ccxtpro, sim.dialect_of(venue))(config)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture(name="eventually")
def eventually_fixture() -> Callable[..., Awaitable[Any]]:
    return eventually


@pytest.fixture(name="book_as_floats")
def book_as_floats_fixture() -> Callable[[Any], tuple[list[list[float]], list[list[float]]]]:
    return book_as_floats


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A raw aiohttp session, for requests and frames ccxt would never send."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    s = Setup(tmp_path)
    yield s
    await s.close()


@pytest.fixture
async def sim() -> AsyncIterator[AliasedLoopback]:
    """okx and okx2 (:data:`tests.kit.live.PAIR`) on the loopback venues, stopped at teardown; a module
    that needs other venues defines its own ``sim``."""
    s = await start_sim(PAIR)
    yield s
    await s.stop()
