// arb dashboard: reads the control API with a bearer token, follows its SSE stream, renders with DOM calls only.
// The token lives in sessionStorage (this tab) and goes in the Authorization header, never in a URL.
// Money and amounts are shown exactly as the API's strings; numbers are parsed only to place points on the chart.
"use strict";
(() => {
  const TOKEN_KEY = "arb.api.token";
  const REFRESH_MS = 5000;
  const KEEP = 50; // rows asked of the API and kept
  const SHOW = 12; // rows shown per table
  const QUIET = new Set(["trade", "decision"]); // events shown in their own tables, not in the event log
  const $ = (id) => document.getElementById(id);

  let token = null;
  let stream = null; // AbortController of the running stream loop
  let timer = null;
  let labels = {};
  let streamSeq = 0; // messages applied so far (a refresh keeps what the stream added after it started)
  const open = new Map(); // episode id -> {ep, seq}
  const ended = new Set(); // ids the stream saw end (a refresh read before the end must not reopen them)
  let recent = [];
  let trades = [];
  let events = [];

  class AuthError extends Error {}

  // ------------------------------------------------------------------ API
  async function api(path, options = {}) {
    const headers = { Authorization: "Bearer " + token, ...(options.headers || {}) };
    const resp = await fetch(path, { ...options, headers, cache: "no-store", credentials: "omit" });
    if (resp.status === 401) throw new AuthError("The API refused this token.");
    if (resp.status === 429) throw new AuthError("Too many failed sign-ins from this address: wait a minute.");
    let doc = null;
    try {
      doc = await resp.json();
    } catch (_) {
      doc = null;
    }
    if (!resp.ok) throw new Error((doc && doc.error) || `${path}: HTTP ${resp.status}`);
    return doc;
  }

  async function refreshAll() {
    const since = streamSeq;
    const [st, eps, tr, pnl, ex, halts] = await Promise.all([
      api("/api/status"),
      api("/api/episodes?limit=" + KEEP),
      api("/api/trades?limit=" + KEEP),
      api("/api/pnl"),
      api("/api/exposures"),
      api("/api/halts"),
    ]);
    if (token === null) return; // signed out meanwhile
    renderStatus(st);
    applyEpisodes(eps, since);
    trades = tr.trades || [];
    renderTrades();
    renderPnl(pnl);
    renderExposures(ex);
    renderHalts(halts);
  }

  // ------------------------------------------------------------------ sign in / out
  async function signIn(candidate) {
    token = candidate;
    try {
      await api("/api/status"); // one request proves the token (each refused one counts toward the rate limit)
      await refreshAll();
    } catch (e) {
      if (e instanceof AuthError) return signOut(e.message);
      toast("Could not read the API: " + e.message);
    }
    if (token === null) return;
    sessionStorage.setItem(TOKEN_KEY, candidate);
    $("login").hidden = true;
    $("dash").hidden = false;
    $("logout").hidden = false;
    renderEvents();
    startStream();
    clearInterval(timer);
    timer = setInterval(() => refreshAll().catch(onError), REFRESH_MS);
  }

  function signOut(message) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    if (stream) stream.abort();
    stream = null;
    clearInterval(timer);
    clearData();
    setConn("off");
    $("dash").hidden = true;
    for (const id of ["pause", "resume", "kill", "logout"]) $(id).hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("token").value = "";
    $("token").focus();
  }

  function onError(e) {
    if (e instanceof AuthError) signOut(e.message);
    else toast(e.message);
  }

  function clearData() {
    open.clear();
    ended.clear();
    recent = [];
    trades = [];
    events = [];
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

  // ------------------------------------------------------------------ stream (fetch + SSE parsing)
  function startStream() {
    if (stream) stream.abort();
    const ctrl = new AbortController();
    stream = ctrl;
    (async () => {
      let delay = 500;
      while (stream === ctrl) {
        setConn("connecting");
        try {
          const resp = await fetch("/api/stream", {
            headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" },
            cache: "no-store",
            credentials: "omit",
            signal: ctrl.signal,
          });
          if (resp.status === 401 || resp.status === 429) {
            signOut(resp.status === 401 ? "The API refused this token." : "Too many failed sign-ins: wait a minute.");
            return;
          }
          if (!resp.ok || !resp.body) throw new Error("stream: HTTP " + resp.status);
          setConn("live");
          delay = 500;
          await readEvents(resp.body, onMessage);
        } catch (_) {
          if (ctrl.signal.aborted) return;
        }
        if (stream !== ctrl) return;
        setConn("off");
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10000); // the next "hello" reads what the gap missed
      }
    })();
  }

  async function readEvents(body, handle) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value.replace(/\r/g, "");
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let name = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (!line || line.startsWith(":")) continue; // comment: keep-alive
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let v = colon < 0 ? "" : line.slice(colon + 1);
          if (v.startsWith(" ")) v = v.slice(1);
          if (field === "event") name = v;
          else if (field === "data") data.push(v);
        }
        if (data.length) handle(name, data.join("\n"));
      }
    }
  }

  function onMessage(name, text) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (_) {
      return;
    }
    streamSeq += 1;
    switch (name) {
      case "hello": // subscribed: from here on the stream has every change, so one read covers what came before
        refreshAll().catch(onError);
        break;
      case "status":
        renderStatus(doc);
        break;
      case "episode_started":
        open.set(doc.id, { ep: doc, seq: streamSeq });
        renderOpen(doc.id);
        break;
      case "episode_ended":
        open.delete(doc.id);
        ended.add(doc.id);
        if (ended.size > 1000) ended.delete(ended.values().next().value);
        recent = [doc, ...recent.filter((e) => e.id !== doc.id)].slice(0, KEEP);
        renderOpen();
        renderRecent(doc.id);
        break;
      case "trade":
        trades = [doc, ...trades].slice(0, KEEP);
        renderTrades(true); // the curve follows when the journal has the trade (its "event" message)
        break;
      case "event":
        if (doc.kind === "trade") soon(() => Promise.all([api("/api/pnl").then(renderPnl), api("/api/exposures").then(renderExposures)]));
        if (QUIET.has(doc.kind)) break;
        events = [doc, ...events].slice(0, SHOW);
        renderEvents();
        break;
      case "halt":
      case "resume":
      case "control":
        soon(() => Promise.all([api("/api/status").then(renderStatus), api("/api/halts").then(renderHalts)]));
        break;
      default:
        break;
    }
  }

  let pending = null;
  function soon(fn) {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      if (token !== null) fn().catch(onError);
    }, 200);
  }

  // ------------------------------------------------------------------ rendering helpers
  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function row(cells, attrs) {
    const tr = document.createElement("tr");
    tr.append(...cells);
    for (const [k, v] of Object.entries(attrs || {})) tr.dataset[k] = v;
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
  const day = (ms) => (ms ? new Date(ms).toISOString().slice(0, 10) : "");
  const clip = (s) => (typeof s === "string" && s.length > 240 ? s.slice(0, 240) + "…" : s);
  const pair = (b, s) => `${b || "?"} → ${s || "?"}`;

  function setConn(state) {
    const c = $("conn");
    c.dataset.state = state;
    c.textContent = { live: "live", connecting: "connecting…", off: "offline" }[state];
  }

  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.hidden = true), 8000);
  }

  // ------------------------------------------------------------------ status
  function renderStatus(st) {
    if (token === null || !st) return;
    const halt = st.halt;
    const mode = $("mode");
    mode.textContent = halt
      ? `${st.mode} · halted (${halt.reason}) · alert-only`
      : st.paused
        ? `${st.mode} · paused`
        : st.trading
          ? st.mode
          : `${st.mode} · alert-only`;
    mode.dataset.state = halt ? "halted" : st.mode;
    $("run").textContent = st.run_id ? "run " + st.run_id : "";
    const up = Math.floor(Number(st.uptime_s) || 0);
    $("uptime").textContent = `up ${Math.floor(up / 3600)}h${String(Math.floor(up / 60) % 60).padStart(2, "0")}m${String(up % 60).padStart(2, "0")}s`;

    const banner = $("halt");
    banner.hidden = !halt;
    banner.textContent = halt
      ? `Trading halted: ${halt.reason} — ${halt.detail || ""} (since ${utc(halt.ts_ms)} UTC). Alert-only: no orders are sent.`
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
        row([cell(b.symbol), cell(b.buy_venue ? pair(b.buy_venue, b.sell_venue) : "no cross evaluated"),
          cell(b.buy_venue && b.net_bps === null ? "below threshold" : b.net_bps, sign(b.net_bps)),
        ], { symbol: b.symbol }),
      ),
      "no crossing evaluated yet",
      3,
    );
    fill(
      "venues",
      Object.entries(st.venues || {}).map(([v, h]) =>
        row([cell(v), cell(h.reason ? `${h.status}: ${h.reason}` : h.status, h.status === "up" ? "st-up" : h.status === "down" ? "st-down" : "st-other"),
          cell(h.updates_per_s, "r"), cell(h.last_update_age_ms === null || h.last_update_age_ms === undefined ? "—" : `${h.last_update_age_ms} ms ago`, "r"),
          cell(h.latency_ms === null || h.latency_ms === undefined ? "—" : `${h.latency_ms} ms`, "r"), cell(h.reconnects, "r"), cell(h.errors, "r")], { venue: v }),
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

    const trading = !!st.trading;
    const killed = !!(halt && halt.reason === "kill");
    $("pause").hidden = !trading || !!st.paused;
    $("resume").hidden = !trading || !st.paused;
    $("pause").disabled = killed;
    $("resume").disabled = killed;
    $("kill").hidden = false;
    $("kill").disabled = killed;
  }

  function setCard(id, value) {
    $(id).textContent = value === null || value === undefined ? "—" : String(value);
  }

  // ------------------------------------------------------------------ episodes, trades, pnl, exposures, halts, events
  function applyEpisodes(doc, since) {
    const fresh = new Map();
    for (const ep of doc.open || []) if (!ended.has(ep.id)) fresh.set(ep.id, { ep, seq: since });
    const over = new Set((doc.recent || []).filter((e) => e.end_ms).map((e) => e.id));
    for (const [id, item] of open) if (item.seq > since && !over.has(id) && !fresh.has(id)) fresh.set(id, item);
    open.clear();
    for (const [id, item] of fresh) open.set(id, item);
    recent = (doc.recent || []).filter((e) => e.end_ms).slice(0, KEEP);
    renderOpen();
    renderRecent();
  }

  function renderOpen(freshId) {
    const eps = [...open.values()].map((x) => x.ep).sort((a, b) => b.start_ms - a.start_ms);
    fill(
      "open-episodes",
      eps.map((ep) => {
        const tr = row([cell(utc(ep.start_ms)), cell(ep.symbol), cell(pair(ep.buy_venue, ep.sell_venue)), cell(ep.amount, "r"),
          cell(ep.net_profit, sign(ep.net_profit)), cell(ep.net_bps, "r"), cell(ep.evaluations, "r"), cell(ep.id, "id")], { episodeId: ep.id });
        if (ep.id === freshId) tr.className = "fresh";
        return tr;
      }),
      "no open episode",
      8,
    );
  }

  function renderRecent(freshId) {
    fill(
      "recent-episodes",
      recent.slice(0, SHOW).map((ep) => {
        const tr = row([cell(utc(ep.start_ms)), cell(ep.symbol), cell(pair(ep.buy_venue, ep.sell_venue)),
          cell(ep.net_profit, sign(ep.net_profit)), cell(ep.net_bps, "r"),
          cell(ep.duration_ms === null || ep.duration_ms === undefined ? "—" : `${ep.duration_ms} ms`, "r"), cell(ep.end_reason), cell(ep.id, "id")], { episodeId: ep.id });
        if (ep.id === freshId) tr.className = "fresh";
        return tr;
      }),
      "no episode ended yet",
      8,
    );
  }

  function renderTrades(freshFirst) {
    fill(
      "trades",
      trades.slice(0, SHOW).map((t, i) => {
        const tr = row([cell(utc(t.ts_ms)), cell(t.symbol), cell(pair(t.buy_venue, t.sell_venue)), cell(t.ok ? "ok" : "failed", t.ok ? "st-up" : "st-down"),
          cell(t.pnl, sign(t.pnl)), cell(t.planned_net, "r"), cell(t.outcome, "detail")], { opportunityId: t.opportunity_id || "" });
        if (freshFirst && i === 0) tr.className = "fresh";
        return tr;
      }),
      "no trade yet",
      7,
    );
  }

  const SVG = "http://www.w3.org/2000/svg";
  function svg(name, attrs, text) {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function renderPnl(doc) {
    if (token === null || !doc) return;
    const pts = (doc.curve || []).filter((p) => p && p.cumulative !== null && p.cumulative !== undefined);
    const W = 640, H = 180, L = 8, R = 12, T = 14, B = 22;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "cumulative realised PnL" });
    root.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }), svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
    if (pts.length === 0) {
      root.append(svg("text", { x: L + 10, y: H / 2 }, "no trade yet"));
    } else {
      const ys = pts.map((p) => Number(p.cumulative));
      const t0 = pts[0].ts_ms, t1 = pts[pts.length - 1].ts_ms;
      let lo = Math.min(0, ...ys), hi = Math.max(0, ...ys);
      if (hi === lo) hi = lo + 1;
      const x = (t) => (t1 === t0 ? (L + W - R) / 2 : L + ((t - t0) / (t1 - t0)) * (W - R - L));
      const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
      root.append(svg("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), class: "zero" }));
      const coords = [[x(t0), y(0)], ...pts.map((p, i) => [x(p.ts_ms), y(ys[i])])];
      root.append(svg("polyline", { points: coords.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" "), class: "curve" }));
      if (pts.length <= 80) for (const [a, b] of coords.slice(1)) root.append(svg("circle", { cx: a.toFixed(1), cy: b.toFixed(1), r: 2.5, class: "dot" }));
      // axis labels are the API's own strings of the extreme points (exact), and 0
      const iMax = ys.indexOf(Math.max(...ys)), iMin = ys.indexOf(Math.min(...ys));
      const labelsY = [["0", 0]];
      if (ys[iMax] > 0) labelsY.push([pts[iMax].cumulative, ys[iMax]]);
      if (ys[iMin] < 0) labelsY.push([pts[iMin].cumulative, ys[iMin]]);
      for (const [text, v] of labelsY) root.append(svg("text", { x: L + 4, y: v > 0 ? y(v) + 12 : y(v) - 4 }, text));
      root.append(svg("text", { x: L, y: H - 6 }, utc(t0)), svg("text", { x: W - R, y: H - 6, "text-anchor": "end" }, utc(t1)));
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

  function renderExposures(doc) {
    if (token === null || !doc) return;
    fill(
      "exposures",
      (doc.exposures || []).map((e) =>
        row([cell("#" + e.id), cell(e.venue), cell(e.symbol), cell(e.base_delta, sign(e.base_delta)),
          cell(`${day(e.created_ms)} ${utc(e.created_ms)}`), cell(e.acknowledged_by || "no")], { exposureId: String(e.id) }),
      ),
      "no open exposure",
      6,
    );
  }

  function renderHalts(doc) {
    if (token === null || !doc) return;
    const rows = (doc.history || []).slice().sort((a, b) => b.ts_ms - a.ts_ms).slice(0, 20);
    const cur = doc.current; // a kill is not in the history table (the kill file is its record): show it in force
    if (cur && !rows.some((h) => h.reason === cur.reason && h.ts_ms === cur.ts_ms)) rows.unshift({ ...cur, inForce: true });
    fill(
      "halts",
      rows.map((h) =>
        row([cell(`${day(h.ts_ms)} ${utc(h.ts_ms)}`), cell(h.reason, "st-down"), cell(h.detail, "detail"),
          cell(h.inForce ? "in force" : h.cleared_ms ? `${utc(h.cleared_ms)} by ${h.cleared_by || "?"}` : h.until_ms ? `until ${day(h.until_ms)} ${utc(h.until_ms)}` : "open")], { reason: h.reason }),
      ),
      "no halt",
      4,
    );
  }

  function renderEvents() {
    fill(
      "events",
      events.map((e) => row([cell(utc(e.ts_ms)), cell(e.kind), cell(e.venue), cell(e.symbol), cell(clip(e.detail), "detail")], { kind: e.kind || "" })),
      "no event since this page opened",
      5,
    );
  }

  // ------------------------------------------------------------------ actions
  const ACTIONS = {
    pause: ["Pause trading?", "No new orders are sent until you resume. The scanner keeps watching and journaling episodes."],
    resume: ["Resume trading?", "New orders may be sent again (a kill or a risk halt stays in force)."],
    kill: [
      "Kill trading?",
      "Same as `arb kill`: the run halts, its open orders are cancelled and it goes on alert-only (no orders) until restarted without the kill file.",
    ],
  };

  function ask(action) {
    const [title, text] = ACTIONS[action];
    const dlg = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = action === "kill" ? "Kill" : action === "pause" ? "Pause" : "Resume";
    $("confirm-reason").value = "";
    dlg.returnValue = "";
    dlg.dataset.action = action;
    dlg.showModal();
  }

  async function act(action, reason) {
    try {
      const body = reason ? { reason } : {};
      const r = await api("/api/" + action, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      toast(`${r.action} by ${r.who}: ${r.detail || "done"}`);
    } catch (e) {
      onError(e);
      return;
    }
    soon(() => Promise.all([api("/api/status").then(renderStatus), api("/api/halts").then(renderHalts)]));
  }

  // ------------------------------------------------------------------ start
  document.addEventListener("DOMContentLoaded", async () => {
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const t = $("token").value.trim();
      if (t) {
        $("login-error").textContent = "";
        signIn(t);
      }
    });
    $("logout").addEventListener("click", () => signOut("Signed out."));
    for (const a of Object.keys(ACTIONS)) $(a).addEventListener("click", () => ask(a));
    $("confirm").addEventListener("close", () => {
      const dlg = $("confirm");
      if (dlg.returnValue === "ok") act(dlg.dataset.action, $("confirm-reason").value.trim());
    });
    try {
      labels = await (await fetch("/ui/labels.json", { cache: "no-store" })).json();
    } catch (_) {
      labels = {};
    }
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) signIn(saved);
    else signOut("");
  });
})();
