// Rendering: API documents -> DOM, with textContent only (never markup from data). Money and amounts are shown
// exactly as the API's strings; numbers are parsed only to place the PnL curve's points.

export const $ = (id) => document.getElementById(id);
export const SHOW = 12; // rows shown per table

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
  if (cls) td.className = cls;
  return td;
}

function row(cells, attrs, cls) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  for (const [k, v] of Object.entries(attrs || {})) tr.dataset[k] = v;
  if (cls) tr.className = cls;
  return tr;
}

function fill(tableId, rows, emptyText, columns) {
  const body = $(tableId).tBodies[0];
  if (rows.length === 0) {
    const td = cell(emptyText, "empty");
    td.colSpan = columns;
    body.replaceChildren(row([td]));
  } else body.replaceChildren(...rows);
}

const sign = (s) => (typeof s === "string" && s.startsWith("-") ? "r neg" : s && /[1-9]/.test(s) ? "r pos" : "r");
const utc = (ms) => (ms ? new Date(ms).toISOString().slice(11, 19) : "—");
const when = (ms) => (ms ? new Date(ms).toISOString().slice(0, 19).replace("T", " ") : "—");
const clip = (s) => (typeof s === "string" && s.length > 240 ? s.slice(0, 240) + "…" : s);
const pair = (b, s) => `${b || "?"} → ${s || "?"}`;
const ms = (v, suffix) => (v === null || v === undefined ? "—" : `${v} ${suffix}`);
const none = (v) => v === null || v === undefined;

export function setConn(state) {
  const c = $("conn");
  c.dataset.state = state;
  c.textContent = { live: "live", connecting: "connecting…", off: "offline" }[state];
}

export function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 8000);
}

// Signed out: nothing of the run stays on the page.
export function clearView() {
  for (const t of document.querySelectorAll("#dash tbody")) t.replaceChildren();
  for (const c of document.querySelectorAll("#dash .card .value")) c.textContent = "—";
  $("pnl-chart").replaceChildren();
  $("halt").hidden = true;
  $("toast").hidden = true;
  $("mode").textContent = "—";
  $("mode").dataset.state = "unknown";
  $("run").textContent = "";
  $("uptime").textContent = "";
}

function setCard(id, value) {
  $(id).textContent = none(value) ? "—" : String(value);
}

// ------------------------------------------------------------------ status (header, cards, books, venues, near misses)
export function renderStatus(st) {
  const labels = st.near_miss_labels || {}; // reason -> readable text (the engine's table)
  const halt = st.halt;
  const mode = $("mode");
  if (halt) mode.textContent = `${st.mode} · halted (${halt.reason}) · alert-only`;
  else if (st.paused) mode.textContent = `${st.mode} · paused`;
  else if (st.trading) mode.textContent = st.mode;
  else mode.textContent = st.mode === "alert" ? "alert-only" : `${st.mode} · alert-only`;
  mode.dataset.state = halt ? "halted" : st.mode;
  $("run").textContent = st.run_id ? "run " + st.run_id : "";
  const up = Math.floor(Number(st.uptime_s) || 0);
  const two = (n) => String(n).padStart(2, "0");
  $("uptime").textContent = `up ${Math.floor(up / 3600)}h${two(Math.floor(up / 60) % 60)}m${two(up % 60)}s`;

  const banner = $("halt");
  banner.hidden = !halt;
  banner.textContent = halt
    ? `Trading halted: ${halt.reason} — ${halt.detail || ""} (since ${utc(halt.ts_ms)} UTC). ` +
      "Alert-only: no orders are sent."
    : "";

  const pnl = st.pnl_today || {};
  setCard("pnl-today", pnl.realised);
  setCard("pnl-exposure", pnl.open_exposure_at_mid);
  const stats = st.stats || {};
  setCard("trades-count", st.trading ? `${stats.trades_ok || 0} / ${stats.trades_failed || 0}` : "alert-only");
  const c = st.counters || {};
  setCard("episodes-count", `${c.open_episodes ?? 0} / ${c.episodes_started ?? 0}`);
  setCard("evaluations", c.evaluations);
  setCard("in-flight", st.in_flight);

  fill(
    "books",
    (st.books || []).map((b) =>
      row(
        [
          cell(b.symbol),
          cell(b.buy_venue ? pair(b.buy_venue, b.sell_venue) : "no cross evaluated"),
          cell(b.buy_venue && none(b.net_bps) ? "below threshold" : b.net_bps, sign(b.net_bps)),
          cell(utc(b.updated_ms)),
        ],
        { symbol: b.symbol },
      ),
    ),
    "no crossing evaluated yet",
    4,
  );
  const health = (h) => (h.status === "up" ? "st-up" : h.status === "down" ? "st-down" : "st-other");
  fill(
    "venues",
    Object.entries(st.venues || {}).map(([v, h]) =>
      row(
        [
          cell(v),
          cell(h.reason ? `${h.status}: ${h.reason}` : h.status, health(h)),
          cell(h.updates_per_s, "r"),
          cell(ms(h.last_update_age_ms, "ms ago"), "r"),
          cell(ms(h.latency_ms, "ms"), "r"),
          cell(h.reconnects, "r"),
          cell(h.errors, "r"),
        ],
        { venue: v },
      ),
    ),
    "no venue yet",
    7,
  );
  const misses = Object.entries(st.near_miss || {}).sort((a, b) => b[1] - a[1]);
  fill(
    "near-miss",
    misses.map(([reason, n]) => row([cell(labels[reason] || reason), cell(n, "r")], { reason })),
    "no crossing evaluated yet",
    2,
  );

  const killed = !!(halt && halt.reason === "kill");
  $("pause").hidden = !st.trading || !!st.paused;
  $("resume").hidden = !st.trading || !st.paused;
  $("pause").disabled = killed;
  $("resume").disabled = killed;
  $("kill").hidden = false;
  $("kill").disabled = killed;
}

// ------------------------------------------------------------------ episodes, trades
export function renderOpen(eps, freshId) {
  fill(
    "open-episodes",
    eps.map((ep) =>
      row(
        [
          cell(utc(ep.start_ms)),
          cell(ep.symbol),
          cell(pair(ep.buy_venue, ep.sell_venue)),
          cell(ep.amount, "r"),
          cell(ep.net_profit, sign(ep.net_profit)),
          cell(ep.net_bps, "r"),
          cell(ep.evaluations, "r"),
          cell(ep.id, "id"),
        ],
        { episodeId: ep.id },
        ep.id === freshId ? "fresh" : "",
      ),
    ),
    "no open episode",
    8,
  );
}

export function renderRecent(recent, freshId) {
  fill(
    "recent-episodes",
    [...recent].sort((a, b) => (b.end_ms || 0) - (a.end_ms || 0)).slice(0, SHOW).map((ep) =>
      row(
        [
          cell(utc(ep.start_ms)),
          cell(ep.symbol),
          cell(pair(ep.buy_venue, ep.sell_venue)),
          cell(ep.net_profit, sign(ep.net_profit)),
          cell(ep.net_bps, "r"),
          cell(ms(ep.duration_ms, "ms"), "r"),
          cell(ep.end_reason),
          cell(ep.id, "id"),
        ],
        { episodeId: ep.id },
        ep.id === freshId ? "fresh" : "",
      ),
    ),
    "no episode ended yet",
    8,
  );
}

export function renderTrades(trades, freshFirst) {
  fill(
    "trades",
    trades.slice(0, SHOW).map((t, i) =>
      row(
        [
          cell(utc(t.ts_ms)),
          cell(t.symbol),
          cell(pair(t.buy_venue, t.sell_venue)),
          cell(t.ok ? "ok" : "failed", t.ok ? "st-up" : "st-down"),
          cell(t.pnl, sign(t.pnl)),
          cell(t.planned_net, "r"),
          cell(t.outcome, "detail"),
        ],
        { opportunityId: t.opportunity_id || "" },
        freshFirst && i === 0 ? "fresh" : "",
      ),
    ),
    "no trade yet",
    7,
  );
}

// ------------------------------------------------------------------ PnL curve (inline SVG) and per day
const SVG_NS = "http://www.w3.org/2000/svg";
function svg(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function renderPnl(doc) {
  const pts = (doc.curve || []).filter((p) => p && !none(p.cumulative));
  const [W, H, L, R, T, B] = [640, 180, 8, 12, 14, 22];
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "cumulative realised PnL" });
  root.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  root.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
  if (pts.length === 0) {
    root.append(svg("text", { x: L + 10, y: H / 2 }, "no trade yet"));
  } else {
    const ys = pts.map((p) => Number(p.cumulative));
    const t0 = pts[0].ts_ms;
    const t1 = pts[pts.length - 1].ts_ms;
    const lo = Math.min(0, ...ys);
    const hi = Math.max(0, ...ys) === lo ? lo + 1 : Math.max(0, ...ys);
    const x = (t) => (t1 === t0 ? (L + W - R) / 2 : L + ((t - t0) / (t1 - t0)) * (W - R - L));
    const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    root.append(svg("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), class: "zero" }));
    const coords = [[x(t0), y(0)], ...pts.map((p, i) => [x(p.ts_ms), y(ys[i])])];
    const points = coords.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ");
    root.append(svg("polyline", { points, class: "curve" }));
    if (pts.length <= 80) {
      for (const [a, b] of coords.slice(1)) root.append(svg("circle", { cx: a.toFixed(1), cy: b.toFixed(1), r: 2.5, class: "dot" }));
    }
    // the axis is labelled with the API's own strings of the extreme points (exact), and 0
    const iMax = ys.indexOf(Math.max(...ys));
    const iMin = ys.indexOf(Math.min(...ys));
    const marks = [["0", 0]];
    if (ys[iMax] > 0) marks.push([pts[iMax].cumulative, ys[iMax]]);
    if (ys[iMin] < 0) marks.push([pts[iMin].cumulative, ys[iMin]]);
    for (const [text, v] of marks) root.append(svg("text", { x: L + 4, y: v > 0 ? y(v) + 12 : y(v) - 4 }, text));
    root.append(svg("text", { x: L, y: H - 6 }, utc(t0)));
    root.append(svg("text", { x: W - R, y: H - 6, "text-anchor": "end" }, utc(t1)));
  }
  const last = pts[pts.length - 1];
  const caption = document.createElement("p");
  caption.id = "pnl-last";
  caption.className = "muted";
  caption.textContent = last ? `${last.cumulative} after ${pts.length} trade${pts.length === 1 ? "" : "s"} (journal)` : "";
  $("pnl-chart").replaceChildren(root, caption);
  fill(
    "pnl-days",
    (doc.days || []).map((d) => row([cell(d.day), cell(d.realised, sign(d.realised)), cell(d.trades, "r")], { day: d.day })),
    "no trade yet",
    3,
  );
}

// ------------------------------------------------------------------ exposures, halts, events
export function renderExposures(doc) {
  fill(
    "exposures",
    (doc.exposures || []).map((e) =>
      row(
        [
          cell("#" + e.id),
          cell(e.venue),
          cell(e.symbol),
          cell(e.base_delta, sign(e.base_delta)),
          cell(when(e.created_ms)),
          cell(e.acknowledged_by || "no"),
          exposureActions(e.id),
        ],
        { exposureId: String(e.id) },
      ),
    ),
    "no open exposure",
    7,
  );
}

// Acknowledge / flatten buttons of one exposure (app.js asks for a confirmation, then posts the action).
function exposureActions(id) {
  const td = document.createElement("td");
  for (const [action, label] of [["ack", "Acknowledge"], ["flatten", "Flatten"]]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.textContent = label;
    b.dataset.exposureAction = action;
    b.dataset.exposureId = String(id);
    td.append(b);
  }
  return td;
}

export function renderHalts(doc) {
  const halts = (doc.history || []).slice().sort((a, b) => b.ts_ms - a.ts_ms).slice(0, 20);
  const cur = doc.current; // a kill has no history row (the kill file is its record): shown as in force
  if (cur && !halts.some((h) => h.reason === cur.reason && h.ts_ms === cur.ts_ms)) halts.unshift({ ...cur, inForce: true });
  const state = (h) => {
    if (h.inForce) return "in force";
    if (h.cleared_ms) return `${utc(h.cleared_ms)} by ${h.cleared_by || "?"}`;
    return h.until_ms ? `until ${when(h.until_ms)}` : "open";
  };
  fill(
    "halts",
    halts.map((h) =>
      row([cell(when(h.ts_ms)), cell(h.reason, "st-down"), cell(h.detail, "detail"), cell(state(h))], { reason: h.reason }),
    ),
    "no halt",
    4,
  );
}

export function renderEvents(events) {
  fill(
    "events",
    events.map((e) =>
      row(
        [cell(utc(e.ts_ms)), cell(e.kind), cell(e.venue), cell(e.symbol), cell(clip(e.detail), "detail")],
        { kind: e.kind || "" },
      ),
    ),
    "no event since this page opened",
    5,
  );
}
