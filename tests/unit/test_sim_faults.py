"""Fault spec parsing for ``arb sim --faults``."""

from __future__ import annotations

import pytest

from exchanges.sim.faults import FaultConfig, known_faults, parse_duration_ms, parse_fault_spec


def test_parse_spec_with_durations_rates_and_venues() -> None:
    cfg = parse_fault_spec("okx:disconnect_every=5s,gap_rate=0.01,rate_limit_burst=3,delay=20ms;binance:stall=1m")
    assert cfg["okx"].disconnect_every_ms == 5000 and cfg["okx"].gap_rate == 0.01
    assert cfg["okx"].rate_limit_burst == 3 and cfg["okx"].delay_ms == 20
    assert cfg["binance"].stall_ms == 60_000


@pytest.mark.parametrize("spec", ["okx", "okx:warp=1", "okx:gap_rate=lots", ":gap_rate=1", "okx:seed=3"])
def test_bad_spec_is_a_one_line_error(spec: str) -> None:
    with pytest.raises(ValueError, match=r"fault"):
        parse_fault_spec(spec)


def test_durations_and_seeded_rng() -> None:
    assert [parse_duration_ms(x) for x in ("250", "250ms", "1.5s", "2m")] == [250, 250, 1500, 120_000]
    a, b = FaultConfig(gap_rate=0.5).with_seed(1, "okx"), FaultConfig(gap_rate=0.5).with_seed(1, "okx")
    assert [a.chance(0.5) for _ in range(50)] == [b.chance(0.5) for _ in range(50)]
    assert not FaultConfig().chance(0.0)
    burst = FaultConfig(rate_limit_burst=2)
    assert [burst.take_rate_limit_burst() for _ in range(3)] == [True, True, False]


def test_rest_timeout_next_is_a_burst_in_the_spec() -> None:
    cfg = parse_fault_spec("okx:rest_timeout_next=2,rest_timeout=5s")["okx"]
    assert (cfg.rest_timeout_next, cfg.rest_timeout_ms, cfg.rest_timeout_rate) == (2, 5000, 0.0)
    assert [cfg.take_rest_timeout_next() for _ in range(3)] == [True, True, False]
    assert "rest_timeout_next" in known_faults()
