"""``/metrics``: the run in Prometheus' text format, from a registry of this server's own (never the global one).

At each scrape the journal part (orders by state, fills, order latencies, episodes and trades journaled by
this run) is read in a worker thread (:meth:`arb.api.reader.Reader.run_counts`), then every family is built
on the event loop from the run's in-memory counters: so the ``*_total`` counters of this run equal what its
journal holds once the journal writer has flushed (``arb_journal_queue_depth`` is 0).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from arb.api.context import ApiContext
from arb.clock import monotonic_ms
from arb.store.schema import ORDER_STATES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def latency_histogram(seconds: Iterable[float]) -> tuple[list[tuple[str, float]], float]:
    """Cumulative (le, count) buckets and the sum, as Prometheus wants them."""
    values = sorted(seconds)
    buckets, i = [], 0
    for le in LATENCY_BUCKETS_S:
        while i < len(values) and values[i] <= le:
            i += 1
        buckets.append((repr(le), float(i)))
    buckets.append(("+Inf", float(len(values))))
    return buckets, float(sum(values))


class RunCollector(Collector):
    """Builds every family from the context and the last journal snapshot (:meth:`set_journal`)."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.journal: dict[str, Any] = {"orders": [], "fills": {}, "episodes": 0, "trades": []}

    def set_journal(self, snapshot: dict[str, Any]) -> None:
        self.journal = snapshot

    def collect(self) -> Iterable[Metric]:
        yield from self._scanner()
        yield from self._journal()
        yield from self._trader()
        yield from self._api()

    def _scanner(self) -> Iterable[Metric]:
        sc = self.ctx.scanner
        now = monotonic_ms()
        upd = CounterMetricFamily("arb_book_updates", "Order book updates received, per venue", labels=["venue"])
        age = GaugeMetricFamily("arb_book_age_seconds", "Age of the venue's newest book", labels=["venue"])
        up = GaugeMetricFamily("arb_venue_up", "1 while the venue's feed streams", labels=["venue"])
        reconnects = CounterMetricFamily("arb_venue_reconnects", "Feed reconnects, per venue", labels=["venue"])
        for v, h in list(sc.feeds.health.items()):
            upd.add_metric([v], h.updates)
            a = h.age_ms(now)
            if a is not None:
                age.add_metric([v], a / 1000)
            up.add_metric([v], 1 if h.status == "up" else 0)
            reconnects.add_metric([v], h.reconnects)
        yield from (upd, age, up, reconnects)
        st = sc.engine.stats
        yield CounterMetricFamily("arb_evaluations", "Venue-pair evaluations", value=st.evaluations)
        yield CounterMetricFamily("arb_opportunities", "Evaluations that found an opportunity", value=st.opportunities)
        yield CounterMetricFamily("arb_episodes_started", "Opportunity episodes started", value=st.episodes_started)
        yield CounterMetricFamily("arb_episodes_ended", "Opportunity episodes ended", value=st.episodes_ended)
        yield GaugeMetricFamily("arb_episodes_open", "Opportunity episodes open now", value=len(sc.engine.tracker.open))
        nm = CounterMetricFamily("arb_near_misses", "Evaluations that did not pay, by reason", labels=["reason"])
        for reason, n in sorted(st.near_miss.items()):
            nm.add_metric([str(reason)], n)
        yield nm
        w = sc.writer
        yield GaugeMetricFamily(
            "arb_journal_queue_depth", "Rows waiting for the journal writer", value=w.pending if w else 0
        )
        yield CounterMetricFamily(
            "arb_journal_dropped", "Observations dropped (writer queue full)", value=w.dropped if w else 0
        )
        yield CounterMetricFamily(
            "arb_journal_written", "Rows committed by the journal writer", value=w.written if w else 0
        )

    def _journal(self) -> Iterable[Metric]:
        j = self.journal
        by_state: Counter[tuple[str, str]] = Counter((o["venue"], o["state"]) for o in j["orders"])
        venues = sorted({o["venue"] for o in j["orders"]})
        orders = GaugeMetricFamily(
            "arb_orders", "This run's orders by venue and current state", labels=["venue", "state"]
        )
        for v in venues:
            for s in ORDER_STATES:
                orders.add_metric([v, s], by_state.get((v, s), 0))
        yield orders
        sent = CounterMetricFamily("arb_orders_placed", "Orders this run committed to the journal", labels=["venue"])
        for v in venues:
            sent.add_metric([v], sum(n for (vv, _s), n in by_state.items() if vv == v))
        yield sent
        fills = CounterMetricFamily("arb_fills", "Fills journaled for this run's orders", labels=["venue"])
        for v, n in sorted(j["fills"].items()):
            fills.add_metric([v], n)
        yield fills
        yield CounterMetricFamily("arb_episodes_journaled", "Episodes this run journaled", value=j["episodes"])
        lat: dict[str, list[float]] = defaultdict(list)
        for o in j["orders"]:
            if o["state"] in ("closed", "canceled", "rejected") and o["updated_ms"] and o["created_ms"]:
                lat[o["venue"]].append(max(0, o["updated_ms"] - o["created_ms"]) / 1000)
        h = HistogramMetricFamily(
            "arb_order_latency_seconds",
            "Order intent committed to final state (journal created_ms to updated_ms), per venue",
            labels=["venue"],
        )
        for v in sorted(lat):
            buckets, total = latency_histogram(lat[v])
            h.add_metric([v], buckets, total)
        yield h
        trades: Counter[str] = Counter()
        pnl = Decimal(0)
        for t in j["trades"]:
            try:
                d = json.loads(t["detail"] or "{}")
            except ValueError:
                continue
            trades["ok" if d.get("ok") else "failed"] += 1
            pnl += Decimal(str(d.get("pnl_quote") or 0))
        tf = CounterMetricFamily("arb_trades", "Arbitrages this run finished (journaled), by result", labels=["result"])
        for r in ("ok", "failed"):
            tf.add_metric([r], trades[r])
        yield tf
        yield GaugeMetricFamily(
            "arb_realised_pnl_run_quote", "Realised PnL of this run's trades (quote)", value=float(pnl)
        )

    def _trader(self) -> Iterable[Metric]:
        tr = self.ctx.trader
        halted = GaugeMetricFamily("arb_halted", "1 while trading is halted, by reason", labels=["reason"])
        if tr is None:
            yield halted
            return
        st = tr.status()
        h = st["halt"]
        if h is not None:
            halted.add_metric([h["reason"]], 1)
        yield halted
        yield CounterMetricFamily("arb_halts", "Halts that tripped while this server ran", value=self.ctx.halts_seen)
        yield GaugeMetricFamily(
            "arb_paused", "1 while an operator paused trading", value=int(tr.gate.controls.paused is not None)
        )
        yield GaugeMetricFamily("arb_in_flight", "Arbitrages in flight", value=st["in_flight"])
        pnl = st["pnl_today"]
        yield GaugeMetricFamily(
            "arb_realised_pnl_today_quote", "Realised PnL today, UTC (quote)", value=float(pnl["realised"])
        )
        yield GaugeMetricFamily(
            "arb_open_exposure_at_mid_quote",
            "Open exposure valued at mid (quote)",
            value=float(pnl["open_exposure_at_mid"]),
        )
        ex = GaugeMetricFamily(
            "arb_exposure_base", "Open exposure in base, by venue and symbol", labels=["venue", "symbol"]
        )
        sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for e in st["open_exposures"]:
            sums[(e["venue"], e["symbol"])] += Decimal(e["base_delta"])
        for (v, s), x in sorted(sums.items()):
            ex.add_metric([v, s], float(x))
        yield ex
        yield GaugeMetricFamily("arb_open_exposures", "Open exposures", value=len(st["open_exposures"]))
        dec = CounterMetricFamily("arb_decisions", "Gate verdicts counted by the trader", labels=["verdict"])
        for k, n in sorted(st["stats"].items()):
            if k == "accepted" or k.startswith("refused_"):
                dec.add_metric([k.removeprefix("refused_")], n)
        yield dec

    def _api(self) -> Iterable[Metric]:
        yield CounterMetricFamily(
            "arb_api_auth_failures",
            "Control-API authentication failures journaled (401s and the first 429 per client and minute)",
            value=self.ctx.auth_failures,
        )
        yield GaugeMetricFamily(
            "arb_stream_clients", "Connected /api/stream clients", value=len(self.ctx.hub.subscribers)
        )


class Metrics:
    def __init__(self, ctx: ApiContext) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.collector = RunCollector(ctx)
        self.registry.register(self.collector)
        self.ctx = ctx

    async def render(self) -> bytes:
        if self.ctx.reader is not None:
            run_id = self.ctx.run_id
            self.collector.set_journal(await self.ctx.reader.run(lambda r: r.run_counts(run_id)))
        return generate_latest(self.registry)
