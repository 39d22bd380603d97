"""Halts that survive restarts (used by :class:`arb.trade.supervisor.Supervisor`).

* A halt is journaled (table ``halts``, fsynced) the moment it trips, except ``kill``: the kill file is
  its own durable state.
* On start the gate is restored from the journal (:func:`arb.trade.riskstate.rebuild`): the halt in force,
  today's realised PnL and the failures in a row, over every run journaled in the file; and an operator's pause
  and disabled directions still in force (:mod:`arb.store.controls`).
* A halt ends only by its rule (a daily-loss halt at the next UTC midnight) or by an operator:
  ``arb resume`` marks it cleared in the journal, and a running arb picks that up within
  ``RESUME_POLL_S`` (journal event ``resume``, an alert, the ``resume`` listener event).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from arb.core.errors import StoreError
from arb.core.kinds import EventKind
from arb.store import Journal
from arb.trade.accounts import Accounts
from arb.trade.controls import Controls, control_name, direction_text
from arb.trade.outlet import Outlet
from arb.trade.risk import Halt, RiskGate
from arb.trade.riskstate import rebuild

log = logging.getLogger(__name__)
RESUME_POLL_S = 0.5


def when(ts_ms: int) -> str:
    return dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC).isoformat(timespec="seconds")


class DurableHalts:
    """Journal halts as they trip, restore them on start, pick up an operator's `arb resume`."""

    def __init__(
        self, journal: Journal, risk: RiskGate, accounts: Accounts, out: Outlet, clock: Callable[[], int]
    ) -> None:
        self.journal, self.risk, self.accounts, self.out, self.clock = journal, risk, accounts, out, clock
        self._resume_checked_ms = 0
        self.controls: Controls | None = None  # the gate's (an operator's pause, directions), once restored

    def record(self, halt: Halt) -> None:
        if halt.reason == "kill" or halt.id is not None:
            return
        try:
            hid = self.journal.record_halt(
                {
                    "run_id": self.out.run_id,
                    "reason": halt.reason,
                    "detail": halt.detail,
                    "ts_ms": halt.ts_ms,
                    "until_ms": halt.until_ms,
                }
            )
        except StoreError as e:  # trading stays halted in this run either way
            log.error("halt.journal_failed reason=%s error=%s", halt.reason, e)
            return
        if self.risk.halted is halt:
            self.risk.halted = dataclasses.replace(halt, id=hid)

    def _poll_controls(self) -> None:
        """Controls of this run no longer in the journal (`arb resume` lifted them) end here too."""
        c = self.controls
        assert c is not None
        try:
            names = {r["name"] for r in self.journal.controls()}
        except StoreError as e:
            log.warning("control.poll_failed error=%s", e)
            return
        gone = {control_name(None), *map(control_name, c.disabled)} - names - c.unkept  # lifted there (not: never kept)
        lifted = ["the pause"] if control_name(None) in gone and c.resume() else []
        for d in [d for d in c.disabled if control_name(d) in gone]:
            c.enable(d)
            lifted.append(f"direction {direction_text(d)}")
        for what in lifted:
            text = f"{what} lifted in the journal (`arb resume`)"
            log.warning("control.lifted %s", text)
            self.out.event(EventKind.CONTROL, None, None, text)

    def restore(self, controls: Controls | None = None) -> None:
        """The halt in force, today's PnL and failures in a row; and an operator's ``controls`` (pause, disabled
        directions) still in force in the journal."""
        now = self.clock()
        self.controls = controls
        for what, c in controls.restore(self.journal.controls()) if controls is not None else []:
            line = (
                f"{what} by {c.who} since {when(c.ts_ms)}{f' ({c.reason})' if c.reason else ''}, from the journal; "
                "lift it through the control API (`arb ctl`) or `arb resume`"
            )
            log.warning("control.restored %s", line)
            self.out.event(EventKind.CONTROL, None, None, line)
        state = rebuild(self.journal, now)
        self.risk.restore(state, now)
        self.accounts.day.load(state.opportunities, state.since_ms)
        h = self.risk.halted
        if h is not None and h.id is not None:
            line = (
                f"{h.line()} (halt #{h.id} since {when(h.ts_ms)}, from the journal; "
                f"`arb resume` ends it{'' if h.until_ms is None else ', or 00:00 UTC'})"
            )
            log.error("risk.halt_restored id=%s reason=%s", h.id, h.reason)
            self.out.event(EventKind.HALT, None, None, line)
            self.out.emit("halt", h)
        if state.failures_in_row or state.realised:
            self.out.event(
                "risk_restored",
                None,
                None,
                f"today's realised PnL {state.realised} since "
                f"{when(state.since_ms)}; failures in a row {state.failures_in_row}",
            )

    def poll_resume(self) -> None:
        """A halt cleared in the journal by `arb resume` ends here too, and so do an operator's controls it lifted
        (checked every ``RESUME_POLL_S``)."""
        h = self.risk.halted
        now = self.clock()
        c = self.controls
        controlled = c is not None and (c.paused is not None or bool(c.disabled))
        if ((h is None or h.id is None) and not controlled) or now - self._resume_checked_ms < RESUME_POLL_S * 1000:
            return
        self._resume_checked_ms = now
        if controlled:
            self._poll_controls()
        if h is None or h.id is None:
            return
        try:
            row = self.journal.get_halt(h.id)
        except StoreError as e:
            log.warning("halt.poll_failed error=%s", e)
            return
        if row is None or row.get("cleared_ms") is None:
            return
        self.risk.resume(now)
        if h.reason == "daily_loss":
            self.accounts.day.resume(now)  # the day's loss counts from now
        text = f"halt #{h.id} ({h.reason}) cleared by {row.get('cleared_by') or 'an operator'}; trading resumes"
        log.warning("risk.resume id=%s reason=%s", h.id, h.reason)
        self.out.event(EventKind.RESUME, None, None, text)
        self.out.emit("resume", h)
        self.out.alert("arb resumed", text, "info")
