"""LoopbackExchanges construction: venue aliases (no servers are started here)."""

from __future__ import annotations

import pytest

from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.registry import available_venues


def test_aliases_add_their_venues_and_name_the_dialect() -> None:
    sim = LoopbackExchanges(venues=["okx", "okx2"], aliases={"okx2": "okx"})
    assert sim.venues == ["okx", "okx2"] and set(sim.faults) == {"okx", "okx2"}
    assert (sim.dialect_of("okx2"), sim.dialect_of("okx")) == ("okx", "okx")
    sim = LoopbackExchanges(venues=["binance"], aliases={"binance-b": "binance"})
    assert sim.venues == ["binance", "binance-b"]  # an alias runs even when not listed
    assert LoopbackExchanges(aliases={"bybit2": "bybit"}).venues == [*available_venues(), "bybit2"]


@pytest.mark.parametrize("aliases", [{"okx2": "nope"}, {"okx": "binance"}])
def test_bad_alias_is_a_one_line_error(aliases: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"alias .*dialects okx, binance, bybit"):
        LoopbackExchanges(aliases=aliases)
