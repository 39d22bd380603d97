"""`make bench`: every benchmark, baseline and arb in the same run, ratios printed (``--only 2b``: the order
latency alone, merged into the last results).

Results go to bench/results/latest.json; README "Performance" quotes a run of this.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from arb import native
from bench import evaluator_bench, latency, order_latency, overhead, replay, throughput

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _machine() -> dict[str, Any]:
    import ccxt

    return {
        "python": platform.python_version(),
        "ccxt": ccxt.__version__,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def only_order_latency(quick: bool) -> int:
    """``python -m bench --only 2b``: benchmark 2b alone, merged into the last full run's results file."""
    out: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    print("2b. decision -> both orders received by the simulators (live, simulators in their own process)")
    out["order_latency"] = ol = order_latency.measure(seconds=8 if quick else 15, min_trades=20 if quick else 50)
    out["order_latency_machine"] = _machine() | {"load_average": os.getloadavg()}
    for transport, r in ol.items():
        if "error" not in r:
            d, a = r["decision_to_both_orders_ms"], r["decision_to_both_handed_over_ms"]
            at = r.get("decision_to_both_at_simulator_socket_ms")
            print(
                f"   {transport:>4}: {r['trades']} trades: p50 {d['p50']} / p99 {d['p99']} ms (arb's part {a}; "
                f"read by the simulators' sockets {at})"
            )
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS}")
    return 0


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    if "--only" in argv and argv[argv.index("--only") + 1 :][:1] == ["2b"]:
        return only_order_latency(quick)
    n = 5_000 if quick else 20_000
    out: dict[str, Any] = {"machine": _machine()}
    t0 = time.monotonic()
    print("1. overhead per book update (OKX books frames, 3 venues x 10 symbols, ~1% crossing before fees)")
    mix = overhead.measure(updates=n)
    out["overhead_mix"] = mix
    print(
        f"   ccxt {mix['ccxt_us_per_msg']} us/msg | arb {mix['arb_us_per_update']} us/update "
        f"(plain {mix['arb_us_per_plain_update']}, per evaluation {mix['arb_us_per_evaluation']}) "
        f"| ratio {mix['ratio']:.1%} | crossing before fees {mix['crossing_before_fees_pct']}%"
    )
    plain = overhead.measure(updates=n, cross_every=0)
    out["overhead_no_cross"] = plain
    print(
        f"   no crossing: ccxt {plain['ccxt_us_per_msg']} us | arb {plain['arb_us_per_update']} us "
        f"| ratio {plain['ratio']:.1%}"
    )
    big = overhead.measure(updates=n, changes=20, cross_every=0)
    out["overhead_20_changes"] = big
    print(
        f"   20 level changes: ccxt {big['ccxt_us_per_msg']} us | arb {big['arb_us_per_update']} us "
        f"| ratio {big['ratio']:.1%}"
    )
    print(f"4. evaluator per call (crossing books, profit-maximising walk); arb.core runs {native.STATUS}")
    out["evaluator_runs"] = native.STATUS
    ev = evaluator_bench.measure(repeat=50 if quick else 300)
    out["evaluator_summary"] = evs = evaluator_bench.summary(ev)
    out["evaluator"] = ev
    for r in ev:
        print(f"   {r['levels']:>4} levels: p50 {r['p50_us']} / p99 {r['p99_us']} us (walked {r['levels_walked']})")
    print(f"   all crossing books: p50 {evs['p50_us']} / p99 {evs['p99_us']} us per call")
    cold = evaluator_bench.measure(repeat=50 if quick else 300, cold=True)
    evc = out["evaluator_cold_summary"] = evaluator_bench.summary(cold)
    print(f"   ... float->Decimal memo emptied before each call: p50 {evc['p50_us']} / p99 {evc['p99_us']} us")
    if native.STATUS.startswith("compiled"):
        pure = out["evaluator_pure_summary"] = evaluator_bench.measure_pure(repeat=50 if quick else 300)
        print(
            f"   ... the same source as pure Python (ARB_PURE_PYTHON=1, own process): p50 {pure['p50_us']} / "
            f"p99 {pure['p99_us']} us; compiled/pure p50 {evs['p50_us'] / pure['p50_us']:.2f}"
        )
    print("5. scaling: arb cost per update as books grow")
    sc = overhead.scaling(updates=n // 2)
    out["scaling"] = sc
    for r in sc:
        print(
            f"   {r['books']:>4} books: arb {r['arb_us_per_update']} us vs ccxt {r['ccxt_us_per_msg']} us "
            f"| ratio {r['ratio']:.1%}"
        )
    print("2. latency on loopback: simulator send -> arb decision (simulator in its own process, OKX+Binance timed)")
    lat = latency.measure(seconds=4 if quick else 8, update_ms=20, min_updates=3_000 if quick else 10_500)
    out["latency"] = lat
    if "error" in lat:
        print(f"   {lat['error']}")
    else:
        d, c, a = lat["send_to_decision_ms"], lat["send_to_ccxt_delivery_ms"], lat["arb_decision_ms"]
        print(f"   {lat['updates_timed']} updates: send->decision p50 {d['p50']} / p99 {d['p99']} / max {d['max']} ms")
        print(
            f"   of which send->ccxt delivery p50 {c['p50']} / p99 {c['p99']} ms; "
            f"arb's decision p50 {a['p50']} / p99 {a['p99']} / max {a['max']} ms"
        )
    print("2b. decision -> both orders received by the simulators (live, simulators in their own process)")
    ol = order_latency.measure(seconds=8 if quick else 15, min_trades=20 if quick else 50)
    out["order_latency"] = ol
    for transport, r in ol.items():
        if "error" in r:
            print(f"   {transport}: {r['error']}")
            continue
        d, g = r["decision_to_both_orders_ms"], r["gap_between_legs_ms"]
        print(
            f"   {transport:>4}: {r['trades']} trades: p50 {d['p50']} / p99 {d['p99']} / max {d['max']} ms; "
            f"gap between the legs p50 {g['p50']} / p99 {g['p99']} ms"
        )
    print("3. throughput: 3 venues x 20 symbols replayed from a separate process at rising rates")
    tp = throughput.measure(
        rates=(4000, 15000, 25000, 35000) if quick else (4000, 8000, 15000, 25000, 35000, 50000),
        seconds=2.0 if quick else 3.0,
    )
    out["throughput"] = tp
    for r in tp["runs"]:
        who = "ccxt+arb " if r["with_arb"] else "ccxt alone"
        print(
            f"   {r['rate']:>6.0f}/s {who}: processed {r['processed']}, book age p90 {r['age_p90_ms']} ms, "
            f"{'sustained' if r['sustained'] else 'FELL BEHIND'}"
        )
    print(
        f"   sustained: ccxt alone {tp['sustained_ccxt_alone']:.0f}/s, with arb {tp['sustained_with_arb']:.0f}/s "
        f"-> ratio {tp['ratio']}"
    )
    print("6. arb backtest: paper replay of a recording of the realistic loopback market (one core)")
    rp = replay.measure(seconds=10 if quick else 30)
    out["replay"], out["sweep"], out["replay_recording"] = rp["replay"], rp["sweep"], rp["recording"]
    r, sw = rp["replay"], rp["sweep"]
    print(
        f"   {r['books']} books: {r['books_per_s_wall']} books/s wall (runs {r['runs_books_per_s_wall']}), "
        f"{r['books_per_s_cpu']} per CPU second"
    )
    print(
        f"7. sweep of {sw['combinations']} combinations: sequential {sw['sequential_s']} s, "
        f"{sw['processes']} processes {sw['pool_s']} s -> x{sw['speedup']} (same rows: {sw['same_rows']})"
    )
    print("8. scaling out: book messages/s handled by 1 and 2 workers (3 loopback venues x 300 symbols)")
    from bench import scaling

    out["scaling_workers"] = sw2 = scaling.measure(300, seconds=3.0 if quick else 6.0)
    print(f"   {scaling.line(sw2)}")
    out["seconds"] = round(time.monotonic() - t0, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS} ({out['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
