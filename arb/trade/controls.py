"""What an operator set on a running trader through the control API (:mod:`arb.api`): pause, directions.

The gate (:mod:`arb.trade.gate`) consults :meth:`Controls.blocks` first: while paused no opportunity is
accepted (verdict ``paused``), so no new order is sent, while the scanner keeps journaling episodes and
trades already in flight finish. A direction (symbol, buy venue, sell venue) an operator disabled is refused
with verdict ``operator_disabled`` until enabled again. They outlive the run: the API records every change in the
journal's ``controls`` table (:mod:`arb.store.controls`), a restart restores what was in force
(:meth:`Controls.restore`), and ``arb resume`` lifts them with the halts. Pure: no clock, no I/O; the API journals
who did what.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arb.core.kinds import Verdict

Direction = tuple[str, str, str]  # (symbol, buy venue, sell venue)
PAUSE, DIRECTION = "pause", "direction:"  # names of the journal's control rows: "pause", "direction:BTC/USDT/a/b"


def control_name(d: Direction | None) -> str:
    """The journal row's name of the pause (None) or of a disabled direction."""
    return PAUSE if d is None else DIRECTION + direction_text(d)


def parse_direction(text: str) -> Direction:
    """``"BTC/USDT/okx/binance"`` → ``("BTC/USDT", "okx", "binance")``; ValueError with the allowed form."""
    parts = text.strip().split("/")
    if len(parts) != 4 or not all(p.strip() for p in parts) or parts[2] == parts[3]:
        raise ValueError(
            f"direction {text!r}: write SYMBOL/BUY_VENUE/SELL_VENUE with two different venues, "
            "e.g. BTC/USDT/okx/binance"
        )
    base, quote, buy, sell = (p.strip() for p in parts)
    return f"{base}/{quote}", buy, sell


def direction_text(d: Direction) -> str:
    return "/".join(d)


@dataclass(slots=True)
class Control:
    """Who set a control, when and why."""

    who: str
    ts_ms: int
    reason: str = ""


@dataclass(slots=True)
class Controls:
    paused: Control | None = None
    disabled: dict[Direction, Control] = field(default_factory=dict)
    unkept: set[str] = field(default_factory=set)  # control names whose journal write failed: only this run has them

    def blocks(self, key: Direction) -> Verdict | None:
        """Why an opportunity in direction ``key`` may not trade now (an operator's control), or None."""
        if self.paused is not None:
            return Verdict.PAUSED
        if key in self.disabled:
            return Verdict.OPERATOR_DISABLED
        return None

    def pause(self, who: str, ts_ms: int, reason: str = "") -> bool:
        """Pause; False if already paused (the first pause is kept)."""
        if self.paused is not None:
            return False
        self.paused = Control(who, ts_ms, reason)
        return True

    def resume(self) -> bool:
        """Unpause; False if not paused."""
        was, self.paused = self.paused, None
        return was is not None

    def disable(self, d: Direction, who: str, ts_ms: int, reason: str = "") -> bool:
        if d in self.disabled:
            return False
        self.disabled[d] = Control(who, ts_ms, reason)
        return True

    def enable(self, d: Direction) -> bool:
        return self.disabled.pop(d, None) is not None

    def restore(self, rows: list[dict[str, object]]) -> list[tuple[str, Control]]:
        """Apply controls journaled by earlier runs (``Journal.controls()`` rows); (what, control) of each applied."""
        done: list[tuple[str, Control]] = []
        for r in rows:
            name, c = str(r["name"]), Control(str(r["who"]), int(str(r["ts_ms"])), str(r.get("reason") or ""))
            if name == PAUSE:
                self.paused = c
                done.append(("paused", c))
            elif name.startswith(DIRECTION):
                try:
                    d = parse_direction(name[len(DIRECTION) :])
                except ValueError:  # not a direction this version can read: nothing to apply
                    continue
                self.disabled[d] = c
                done.append((f"direction {direction_text(d)} disabled", c))
        return done

    def as_dict(self) -> dict[str, object]:
        p = self.paused
        return {
            "paused": None if p is None else {"who": p.who, "ts_ms": p.ts_ms, "reason": p.reason},
            "disabled_directions": {
                direction_text(d): {"who": c.who, "ts_ms": c.ts_ms, "reason": c.reason}
                for d, c in self.disabled.items()
            },
        }
