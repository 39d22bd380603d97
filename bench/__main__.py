"""`make bench`: every benchmark, baseline and arb in the same run, ratios printed.

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

from bench import evaluator_bench, overhead

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


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 5_000 if quick else 20_000
    out: dict[str, Any] = {"machine": _machine()}
    t0 = time.monotonic()
    print("1. overhead per book update (OKX books frames, 3 venues x 10 symbols, ~1% crossing before fees)")
    mix = overhead.measure(updates=n)
    out["overhead_mix"] = mix
    print(f"   ccxt {mix['ccxt_us_per_msg']} us/msg | arb {mix['arb_us_per_update']} us/update "
          f"(plain {mix['arb_us_per_plain_update']}, per evaluation {mix['arb_us_per_evaluation']}) "
          f"| ratio {mix['ratio']:.1%} | crossing before fees {mix['crossing_before_fees_pct']}%")
    plain = overhead.measure(updates=n, cross_every=0)
    out["overhead_no_cross"] = plain
    print(f"   no crossing: ccxt {plain['ccxt_us_per_msg']} us | arb {plain['arb_us_per_update']} us "
          f"| ratio {plain['ratio']:.1%}")
    big = overhead.measure(updates=n, changes=20, cross_every=0)
    out["overhead_20_changes"] = big
    print(f"   20 level changes: ccxt {big['ccxt_us_per_msg']} us | arb {big['arb_us_per_update']} us "
          f"| ratio {big['ratio']:.1%}")
    print("4. evaluator per call (crossing books, profit-maximising walk)")
    ev = evaluator_bench.measure(repeat=50 if quick else 200)
    out["evaluator"] = ev
    for r in ev:
        print(f"   {r['levels']:>4} levels: {r['us_per_call']} us (walked {r['levels_walked']})")
    print("5. scaling: arb cost per update as books grow")
    sc = overhead.scaling(updates=n // 2)
    out["scaling"] = sc
    for r in sc:
        print(f"   {r['books']:>4} books: arb {r['arb_us_per_update']} us vs ccxt {r['ccxt_us_per_msg']} us "
              f"| ratio {r['ratio']:.1%}")
    out["seconds"] = round(time.monotonic() - t0, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {RESULTS} ({out['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
