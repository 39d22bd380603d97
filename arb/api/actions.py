"""Operator actions (POST): pause/resume, disable/enable a direction, kill, acknowledge/flatten an exposure.

Each accepted action is journaled (event ``control``: ``"<action> by <who>: <detail>"``) and published on
the stream. Pause and directions act through the gate (:mod:`arb.trade.controls`): no new orders, while
episodes keep being journaled and trades in flight finish; they are kept in the journal (``controls`` table), so a
restart keeps them until an operator lifts them (here, or `arb resume`). Kill is `arb kill`: the kill file is
written and the supervisor halts the run (reason ``kill``), cancels its open orders and keeps alerting only.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from arb.api.context import ApiContext
from arb.clock import wall_ms
from arb.core.errors import StoreError
from arb.trade.controls import Direction, control_name, direction_text, parse_direction

FLATTEN_POLICIES = ("hedge",)


class ActionError(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


async def body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        doc = json.loads(await request.text() or "{}")
    except ValueError:
        raise ActionError(400, 'the body must be a JSON object, e.g. {"reason": "maintenance"}') from None
    if not isinstance(doc, dict):
        raise ActionError(400, 'the body must be a JSON object, e.g. {"reason": "maintenance"}')
    return doc


def _text(doc: dict[str, Any], key: str, default: str = "") -> str:
    v = doc.get(key, default)
    if not isinstance(v, str) or len(v) > 500:
        raise ActionError(400, f"{key} must be a string of at most 500 characters")
    return " ".join(v.split())


def _trader(ctx: ApiContext, action: str) -> Any:
    if ctx.trader is None:
        raise ActionError(409, f"{action}: this is an alert-only scan; it sends no orders (start `arb run` to trade)")
    return ctx.trader


def _keep(tr: Any, d: Direction | None, lift: bool) -> str:
    """Record the pause (``d`` None) or a direction's control in the journal, so a restart keeps it (``lift``: it
    ended); "" when recorded, else a note for the reply (the control holds in this run either way)."""
    c, name = tr.gate.controls, control_name(d)
    ctl = c.paused if d is None else c.disabled.get(d)
    try:
        if lift:
            tr.journal.lift_controls([name])
        elif ctl is not None:
            tr.journal.set_control(name, ctl.who, ctl.ts_ms, ctl.reason)
    except StoreError as e:
        if not lift:
            c.unkept.add(name)  # not in the journal, yet not lifted there either
        return f" (not kept in the journal: {e}; a restart would not know it)"
    c.unkept.discard(name)
    return ""


def pause(ctx: ApiContext, who: str, doc: dict[str, Any]) -> dict[str, Any]:
    tr = _trader(ctx, "pause")
    reason = _text(doc, "reason")
    if not tr.gate.controls.pause(who, wall_ms(), reason):
        p = tr.gate.controls.paused
        return {"ok": True, "action": "pause", "who": who, "detail": f"already paused by {p.who}", "changed": False}
    kept = _keep(tr, None, lift=False)
    return ctx.control(
        "pause", who, f"no new orders; episodes are still journaled{f' ({reason})' if reason else ''}{kept}"
    )


def resume(ctx: ApiContext, who: str, doc: dict[str, Any]) -> dict[str, Any]:
    tr = _trader(ctx, "resume")
    reason = _text(doc, "reason")
    if not tr.gate.controls.resume():
        return {"ok": True, "action": "resume", "who": who, "detail": "was not paused", "changed": False}
    note = _keep(tr, None, lift=True)
    h = tr.risk.halted
    if h is not None:
        note += f"; still halted by {h.reason} (`arb resume` ends risk halts, removing the kill file ends a kill)"
    return ctx.control("resume", who, f"new orders allowed again{f' ({reason})' if reason else ''}{note}")


def direction(ctx: ApiContext, who: str, doc: dict[str, Any], enable: bool) -> dict[str, Any]:
    action = "enable_direction" if enable else "disable_direction"
    tr = _trader(ctx, action)
    try:
        d = parse_direction(_text(doc, "direction"))
    except ValueError as e:
        raise ActionError(400, str(e)) from None
    symbol, buy, sell = d
    if (buy, symbol) not in tr.markets or (sell, symbol) not in tr.markets:
        known = sorted({f"{s} on {v}" for v, s in tr.markets})
        raise ActionError(400, f"direction {direction_text(d)}: not traded in this run (markets: {', '.join(known)})")
    c = tr.gate.controls
    changed = c.enable(d) if enable else c.disable(d, who, wall_ms(), _text(doc, "reason"))
    if not changed:
        return {"ok": True, "action": action, "who": who, "detail": "no change", "changed": False}
    return ctx.control(action, who, direction_text(d) + _keep(tr, d, lift=enable))


def kill(ctx: ApiContext, who: str, doc: dict[str, Any]) -> dict[str, Any]:
    from arb.cli.trade import write_kill_file

    if ctx.kill_file is None:
        raise ActionError(409, "kill: this run has no kill switch")
    reason = _text(doc, "reason", "api kill") or "api kill"
    write_kill_file(ctx.kill_file, f"{reason} (control API, {who})")
    what = (
        "the run halts (kill), cancels its open orders and continues alert-only; remove the file before the next start"
        if ctx.trader is not None
        else "alert-only scan: nothing to stop"
    )
    return ctx.control("kill", who, f"kill file {ctx.kill_file} written ({reason}); {what}")


def _exposure(tr: Any, exposure_id: int) -> dict[str, Any]:
    row = next((e for e in tr.journal.exposures() if e["id"] == exposure_id), None)
    if row is None:
        raise ActionError(404, f"no exposure #{exposure_id} in the journal")
    if row["state"] != "open":
        raise ActionError(409, f"exposure #{exposure_id} is {row['state']}, not open")
    return row


def ack_exposure(ctx: ApiContext, who: str, exposure_id: int, doc: dict[str, Any]) -> dict[str, Any]:
    tr = _trader(ctx, "ack_exposure")
    row = _exposure(tr, exposure_id)
    note = _text(doc, "note")
    text = f"#{exposure_id} {row['base_delta']} {row['symbol']} on {row['venue']} acknowledged"
    text += f": {note}" if note else ""
    return ctx.control("ack_exposure", who, text)


async def flatten_exposure(ctx: ApiContext, who: str, exposure_id: int, doc: dict[str, Any]) -> dict[str, Any]:
    from arb.trade.reconcile import opportunity_legs

    tr = _trader(ctx, "flatten_exposure")
    policy = _text(doc, "policy", "hedge") or "hedge"
    if policy not in FLATTEN_POLICIES:
        raise ActionError(400, f"policy = {policy!r}: must be one of {', '.join(FLATTEN_POLICIES)}")
    row = _exposure(tr, exposure_id)
    legs, venues = opportunity_legs(tr.journal, row["opportunity_id"] or "")
    if venues is None or tr.executor is None:
        raise ActionError(409, f"exposure #{exposure_id}: its legs are not in this journal or trading is not ready")
    ctx.control("flatten_exposure", who, f"#{exposure_id} by {policy} (started)")
    out = await tr.executor.settle(
        row["opportunity_id"], row["symbol"], venues, legs, policy=policy, exposure_id=exposure_id
    )
    tr.supervisor.load_exposures()
    left = str(out.exposure)
    return ctx.control("flatten_exposure", who, f"#{exposure_id} by {policy}: {'; '.join(out.notes) or 'done'}") | {
        "exposure_left": left
    }
