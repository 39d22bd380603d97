"""The report buckets a refused order by its journaled cause code, never by searching the reason text."""

from __future__ import annotations

from typing import Any

from arb.review.report.data import BALANCE, LATENCY, _not_traded_reason

EP: dict[str, Any] = {"id": "ep1", "start_ms": 0, "last_ms": 10, "end_ms": 20}


def _why(*orders: dict[str, Any]) -> str:
    return _not_traded_reason(EP, [], {"ep1": ["opp1"]}, {"opp1": list(orders)}, "paper")


def test_refusal_for_funds_is_a_balance_miss_by_its_cause() -> None:
    assert _why({"state": "rejected", "cause": "InsufficientFunds", "reason": "not enough"}) == BALANCE


def test_reason_text_mentioning_funds_is_not_a_funds_refusal() -> None:
    # the venue timed out; its text happens to mention funds: the cause decides, and it is a timeout
    row = {"state": "rejected", "cause": "RequestTimeout", "reason": "RequestTimeout: InsufficientFunds check slow"}
    assert _why(row) == LATENCY
    unconfirmed = {
        "state": "rejected",
        "cause": None,
        "reason": "send unconfirmed: RequestTimeout (InsufficientFunds?)",
    }
    assert _why(unconfirmed) == LATENCY


def test_journals_before_the_cause_column_read_the_leading_error_class() -> None:
    old = {"state": "rejected", "reason": "InsufficientFunds: USDT free 5 < 1000 needed"}  # no cause key
    assert _why(old) == BALANCE


def test_every_refusal_verdict_has_a_capture_bucket() -> None:
    from arb.core.kinds import Verdict
    from arb.review.report.data import RISK_HALT, bucket

    for v in Verdict:
        if v is not Verdict.ACCEPT:
            assert not bucket(v).startswith("other"), v
    assert bucket(Verdict.halted("kill")) == RISK_HALT and bucket("depth") == bucket(Verdict.DEPTH)
