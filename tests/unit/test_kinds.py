"""EventKind is the one list of journal event kinds: every kind the code writes is a member, spelled once."""

from __future__ import annotations

import ast
from pathlib import Path

from arb.core.kinds import EventKind, Verdict

ARB = Path(__file__).resolve().parents[2] / "arb"
EVENT_CALLS = {"_event", "_event_row", "on_event", "event"}  # what journals (or forwards) an event


def _word(text: str) -> bool:
    return text.replace("_", "a").isalnum() and text.islower()  # a kind is one snake_case word


def _event_call_args() -> list[tuple[str, ast.expr]]:
    out = []
    for path in sorted(ARB.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in EVENT_CALLS:
                out += [(f"{path.relative_to(ARB.parent)}:{node.lineno}", a) for a in node.args]
    return out


def test_every_literal_event_kind_is_an_event_kind() -> None:
    """A snake_case word passed to an event call is a kind: it must be an EventKind (details are sentences)."""
    found = _event_call_args()
    assert len(found) > 20, "no event calls found: the scan is broken"
    unknown = [
        f"{where}: {a.value!r}"
        for where, a in found
        if isinstance(a, ast.Constant) and isinstance(a.value, str) and _word(a.value) and a.value not in set(EventKind)
    ]
    built = [  # f"direction_{change}": a kind built at run time cannot be checked; name the members instead
        where
        for where, a in found
        if isinstance(a, ast.JoinedStr)
        and all(_word(v.value) for v in a.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    ]
    assert not unknown and not built, f"kinds outside EventKind: {unknown}; kinds built from f-strings: {built}"


def test_enums_are_their_strings() -> None:
    assert EventKind.TRADE == "trade" and f"{EventKind.HALT}" == "halt" and str(Verdict.ACCEPT) == "accept"
    assert Verdict.halted("daily_loss") is Verdict.HALTED_DAILY_LOSS and Verdict.HALTED_DAILY_LOSS.is_halt
    assert not Verdict.DEPTH.is_halt
    assert len({k.value for k in EventKind}) == len(EventKind)
