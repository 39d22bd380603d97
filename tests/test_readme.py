"""README stays true: its evaluate example runs and finds the opportunity it describes."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first_block and "make test" in first_block


def test_readme_evaluate_example_runs() -> None:
    block = next(b for b in _python_blocks() if "arb.evaluate(" in b)
    ns: dict = {}
    exec(compile(block, "README.md", "exec"), ns)
    opp = ns["opp"]
    assert opp is not None and opp.net_profit > 0 and opp.net_bps >= 5
