"""The report's rebalance section from the planner: a plan mixing feasible and impossible moves stays valid JSON
(no NaN for a missing arrival time), and net after rebalancing is withheld while a move is impossible."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from arb.review.report import build, open_journal
from arb.store import Journal

D = Decimal


def _usdt(venue: str) -> dict[str, object]:
    return {
        "venue": venue,
        "asset": "USDT",
        "network": "TRC20",
        "deposit": True,
        "withdraw": True,
        "withdraw_fee": "1",
        "withdraw_min": "10",
        "withdraw_step": "0.000001",
        "confirmations": 20,
        "arrival_s": 60,
    }


def test_mixed_plan_is_valid_json_and_withholds_net(tmp_path: Path) -> None:
    path = tmp_path / "paper.db"
    j = Journal.open(path)
    try:
        j.start_run("paper", {}, now_ms=1_000, run_id="r1")
        rows = [(2_000, v, a, x, "start") for v in ("a", "b") for a, x in (("USDT", "500"), ("BTC", "1"))]
        rows += [(2_100, "a", "USDT", "700", "trade"), (2_100, "b", "USDT", "300", "trade")]
        rows += [(2_100, "a", "BTC", "0.5", "trade"), (2_100, "b", "BTC", "1.5", "trade")]
        j.write_batch(
            [("balance", {"ts_ms": ts, "venue": v, "asset": a, "total": D(x), "source": s}) for ts, v, a, x, s in rows]
        )
        nets = {v: {"USDT": [_usdt(v)], "BTC": []} for v in ("a", "b")}  # BTC is listed on no network
        j.write_batch([("event", {"run_id": "r1", "ts_ms": 2_200, "kind": "networks", "detail": json.dumps(nets)})])
        j.end_run("r1", now_ms=3_000, status="ok")
    finally:
        j.close()
    journal = open_journal(str(path))
    try:
        r = build(journal)
    finally:
        journal.close()
    moves = {(t["asset"], t["status"]): t for t in r.tables["rebalance"].to_dict("records")}
    assert moves[("USDT", "ok")]["amount"] == D("201") and moves[("USDT", "ok")]["arrival_s"] == 60
    impossible = moves[("BTC", "impossible")]
    assert impossible["arrival_s"] is None and impossible["amount"] == D("0.5")
    json.dumps(r.summary, allow_nan=False)  # strict JSON: no NaN
    assert r.summary["rebalance"]["complete"] is False
