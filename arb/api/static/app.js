// arb dashboard: signs in with the API token, reads the control API, follows its event stream, sends actions.
// The token lives in this tab's sessionStorage and goes only in the Authorization header, never in a URL.
import { readEvents } from "/ui/sse.js";
import * as view from "/ui/view.js";

const $ = view.$;
const TOKEN_KEY = "arb.api.token";
const REFRESH_MS = 5000; // a full read now and then, besides the stream
const KEEP = 50; // rows asked of the API and kept
const QUIET = new Set(["trade", "decision"]); // journal events shown in their own tables, not in the event log

let token = null;
let stream = null; // AbortController of the running stream loop
let timer = null;
let streamSeq = 0; // stream messages applied so far (a read keeps what the stream added after it started)
const open = new Map(); // episode id -> {ep, seq}
const ended = new Set(); // ids the stream saw end (a read made before the end must not reopen them)
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

const signedIn = (fn) => (doc) => {
  if (token !== null && doc) fn(doc);
};
const showStatus = signedIn(view.renderStatus);
const showPnl = signedIn(view.renderPnl);
const showExposures = signedIn(view.renderExposures);
const showHalts = signedIn(view.renderHalts);

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
  showStatus(st);
  applyEpisodes(eps, since);
  trades = tr.trades || [];
  view.renderTrades(trades, false);
  showPnl(pnl);
  showExposures(ex);
  showHalts(halts);
}

// Open episodes: the read's, plus what the stream started after the read began, minus what the stream saw end.
function applyEpisodes(doc, since) {
  const fresh = new Map();
  for (const ep of doc.open || []) if (!ended.has(ep.id)) fresh.set(ep.id, { ep, seq: since });
  const over = new Set((doc.recent || []).filter((e) => e.end_ms).map((e) => e.id));
  for (const [id, item] of open) if (item.seq > since && !over.has(id) && !fresh.has(id)) fresh.set(id, item);
  open.clear();
  for (const [id, item] of fresh) open.set(id, item);
  recent = (doc.recent || []).filter((e) => e.end_ms).slice(0, KEEP);
  showOpen();
  view.renderRecent(recent);
}

function showOpen(freshId) {
  const eps = [...open.values()].map((x) => x.ep).sort((a, b) => b.start_ms - a.start_ms);
  view.renderOpen(eps, freshId);
}

// ------------------------------------------------------------------ sign in / out
async function signIn(candidate) {
  token = candidate;
  try {
    await api("/api/status"); // one request proves the token (each refusal counts toward the rate limit)
    await refreshAll();
  } catch (e) {
    if (e instanceof AuthError) return signOut(e.message);
    view.toast("Could not read the API: " + e.message);
  }
  if (token === null) return;
  sessionStorage.setItem(TOKEN_KEY, candidate);
  $("login").hidden = true;
  $("dash").hidden = false;
  $("logout").hidden = false;
  view.renderEvents(events);
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
  for (const t of pending.values()) clearTimeout(t);
  pending.clear();
  open.clear();
  ended.clear();
  recent = [];
  trades = [];
  events = [];
  view.clearView();
  view.setConn("off");
  $("dash").hidden = true;
  for (const id of ["pause", "resume", "kill", "logout"]) $(id).hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").value = "";
  $("token").focus();
}

function onError(e) {
  if (e instanceof AuthError) signOut(e.message);
  else view.toast(e.message);
}

// Re-read some endpoints shortly (one timer per key: bursts of messages cause one read).
const pending = new Map();
function soon(key, fn) {
  if (pending.has(key)) return;
  pending.set(
    key,
    setTimeout(() => {
      pending.delete(key);
      if (token !== null) fn().catch(onError);
    }, 200),
  );
}
const rereadPnl = () => soon("pnl", () => Promise.all([api("/api/pnl").then(showPnl), api("/api/exposures").then(showExposures)]));
const rereadHalts = () => soon("halts", () => Promise.all([api("/api/status").then(showStatus), api("/api/halts").then(showHalts)]));

// ------------------------------------------------------------------ stream
function startStream() {
  if (stream) stream.abort();
  const ctrl = new AbortController();
  stream = ctrl;
  (async () => {
    let delay = 500;
    while (stream === ctrl) {
      view.setConn("connecting");
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
        view.setConn("live");
        delay = 500;
        await readEvents(resp.body, onMessage);
      } catch (_) {
        if (ctrl.signal.aborted) return;
      }
      if (stream !== ctrl) return;
      view.setConn("off");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000); // the next "hello" reads what the gap missed
    }
  })();
}

function onMessage(name, text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (_) {
    return;
  }
  if (token === null) return;
  streamSeq += 1;
  switch (name) {
    case "hello": // subscribed: the stream has every change from here on, so one read covers what came before
      refreshAll().catch(onError);
      break;
    case "status":
      showStatus(doc);
      break;
    case "episode_started":
      open.set(doc.id, { ep: doc, seq: streamSeq });
      showOpen(doc.id);
      break;
    case "episode_ended":
      open.delete(doc.id);
      ended.add(doc.id);
      if (ended.size > 1000) ended.delete(ended.values().next().value);
      recent = [doc, ...recent.filter((e) => e.id !== doc.id)].slice(0, KEEP);
      showOpen();
      view.renderRecent(recent, doc.id);
      break;
    case "trade":
      trades = [doc, ...trades].slice(0, KEEP);
      view.renderTrades(trades, true); // the curve follows once the journal has the trade (its "event")
      break;
    case "event":
      if (doc.kind === "trade") rereadPnl();
      if (QUIET.has(doc.kind)) break;
      events = [doc, ...events].slice(0, view.SHOW);
      view.renderEvents(events);
      break;
    case "halt":
    case "resume":
    case "control":
      rereadHalts();
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------ actions (after a confirmation dialog)
const ACTIONS = {
  ack: [
    "Acknowledge exposure #{id}?",
    "It stays open and keeps counting against the exposure limits; the journal records that you have seen it.",
    "Acknowledge",
  ],
  flatten: [
    "Flatten exposure #{id}?",
    "Sends an IOC order on the better of its two venues now (the executor's hedge), for the whole open amount.",
    "Flatten",
  ],
  pause: ["Pause trading?", "No new orders are sent until you resume. The scanner keeps watching and journaling episodes.", "Pause"],
  resume: ["Resume trading?", "New orders may be sent again (a kill or a risk halt stays in force).", "Resume"],
  kill: [
    "Kill trading?",
    "Same as `arb kill`: the run halts, its open orders are cancelled and it goes on alert-only (no orders) " +
      "until restarted without the kill file.",
    "Kill",
  ],
};

function ask(action, exposure) {
  const [title, text, button] = ACTIONS[action];
  const dlg = $("confirm");
  $("confirm-title").textContent = title.replace("{id}", exposure || "");
  dlg.dataset.exposure = exposure || "";
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = button;
  $("confirm-reason").value = "";
  dlg.returnValue = "";
  dlg.dataset.action = action;
  dlg.showModal();
}

async function act(action, reason, exposure) {
  // an exposure's action: /api/exposures/ID/ack (the reason is its note) or /flatten (policy hedge)
  const path = exposure ? `/api/exposures/${encodeURIComponent(exposure)}/${action}` : "/api/" + action;
  const body = exposure ? (action === "ack" ? (reason ? { note: reason } : {}) : { policy: "hedge" }) : reason ? { reason } : {};
  try {
    const r = await api(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    view.toast(`${r.action} by ${r.who}: ${r.detail || "done"}`);
  } catch (e) {
    onError(e);
    return;
  }
  rereadHalts();
  if (exposure) rereadPnl();
}

// ------------------------------------------------------------------ start (module scripts run after parsing)
$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const t = $("token").value.trim();
  if (t) {
    $("login-error").textContent = "";
    signIn(t);
  }
});
$("logout").addEventListener("click", () => signOut("Signed out."));
for (const a of ["pause", "resume", "kill"]) $(a).addEventListener("click", () => ask(a));
$("exposures").addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-exposure-action]");
  if (b) ask(b.dataset.exposureAction, b.dataset.exposureId);
});
$("confirm").addEventListener("close", () => {
  const dlg = $("confirm");
  if (dlg.returnValue === "ok") act(dlg.dataset.action, $("confirm-reason").value.trim(), dlg.dataset.exposure);
});
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
else signOut("");
