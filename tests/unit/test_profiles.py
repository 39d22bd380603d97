from __future__ import annotations

import re

import ccxt
import pytest

from exchanges.profiles import PROFILES, profile

# Each venue's client order id rule as its API documentation states it (independent of the profiles):
# OKX v5 clOrdId: "case-sensitive alphanumerics, all numbers, or all letters of up to 32 characters";
# Binance spot newClientOrderId: must match ^[\.A-Z\:/a-z0-9_-]{1,36}$;
# Bybit v5 orderLinkId: "max 36 characters; numbers, letters (upper and lower cases), dashes, and underscores".
DOCUMENTED = {
    "okx": ("clOrdId", r"[A-Za-z0-9]{1,32}"),
    "binance": ("newClientOrderId", r"[.A-Z:/a-z0-9_-]{1,36}"),
    "bybit": ("orderLinkId", r"[A-Za-z0-9_-]{1,36}"),
}
# strings near each rule's edges: a profile's own pattern may accept one only if the venue's rule does
PROBES = ["a", "A1", "a" * 32, "a" * 33, "a" * 36, "a" * 37, "ab-c_d", "a.b:c/d", "a b", "a+b", "é", ""]


def test_every_profile_has_a_documented_rule() -> None:
    assert set(PROFILES) == set(DOCUMENTED)


@pytest.mark.parametrize("venue", sorted(PROFILES))
def test_client_ids_are_deterministic_and_follow_venue_rules(venue: str) -> None:
    p = profile(venue)
    param, rule = DOCUMENTED[venue]
    a = p.client_order_id("run1:ep7:1", "buy")
    assert a == p.client_order_id("run1:ep7:1", "buy")
    assert a != p.client_order_id("run1:ep7:1", "sell")
    assert a != p.client_order_id("run1:ep7:1", "buy", attempt=1)
    ids = {
        p.client_order_id(f"run{r}:ep{e}:{n}", leg, attempt)
        for r in range(3)
        for e in range(5)
        for n in (1, 12)
        for leg in ("buy", "sell", "hedge")
        for attempt in (0, 3)
    }
    assert len(ids) == 3 * 5 * 2 * 3 * 2  # distinct inputs, distinct ids
    bad = sorted(i for i in ids if not re.fullmatch(rule, i))
    assert not bad, f"{venue} ids break the venue's documented rule {rule}: {bad[:3]}"
    assert p.client_id_param == param and p.order_params(a)[param] == a
    looser = [x for x in PROBES if re.fullmatch(p.client_id_pattern, x) and not re.fullmatch(rule, x)]
    assert not looser, f"{venue} profile pattern {p.client_id_pattern} accepts what the venue refuses: {looser}"
    assert venue in ccxt.exchanges


def test_unknown_venue_gets_generic_profile() -> None:
    assert profile("kraken").client_id_max_len == 32
