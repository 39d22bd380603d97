from __future__ import annotations

import re

import ccxt
import pytest

from exchanges.profiles import PROFILES, profile


@pytest.mark.parametrize("venue", sorted(PROFILES))
def test_client_ids_are_deterministic_and_follow_venue_rules(venue: str) -> None:
    p = profile(venue)
    a = p.client_order_id("run1:ep7:1", "buy")
    assert a == p.client_order_id("run1:ep7:1", "buy")
    assert a != p.client_order_id("run1:ep7:1", "sell")
    assert a != p.client_order_id("run1:ep7:1", "buy", attempt=1)
    assert len(a) <= p.client_id_max_len and re.fullmatch(p.client_id_pattern, a)
    assert p.order_params(a)[p.client_id_param] == a
    assert venue in ccxt.exchanges


def test_unknown_venue_gets_generic_profile() -> None:
    assert profile("kraken").client_id_max_len == 32
