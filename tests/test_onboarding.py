"""A new user's first steps: the install says what it does, the tour leaves no untracked files, README's
commands and the hints arb prints agree, and the clone directory does not shadow the package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARB_SCRIPT = ROOT / ".venv" / "bin" / "arb"

# what the README tour writes into the repository root
TOUR_FILES = [
    "arb.toml",
    "arb.db",
    "arb-paper.db",
    "arb.db.lock",
    "arb.kill",
    "books.arbrec.gz",
    "btc.csv",
    "out/",
    "out/episodes.csv",
    "report.html",
    "books.arbrec.gz.bt-0123456789.db",
]


@pytest.mark.parametrize("name", TOUR_FILES)
def test_tour_outputs_are_ignored_by_git(name: str) -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=ROOT, check=False)
    assert done.returncode == 0, f"{name} is not in .gitignore"


def test_first_install_says_what_it_is_doing() -> None:
    """`make` echoes a line before creating the venv and before the minute-long pip install."""
    recipe = subprocess.run(
        ["make", "-n", "-B", "-f", "Makefile", ".venv/.installed"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    pip = [i for i, line in enumerate(recipe) if "pip install" in line and "-e" in line]
    assert pip, recipe
    said = [line for line in recipe[: pip[0]] if line.startswith("echo")]
    assert any("install" in line and "minute" in line for line in said), recipe
    assert any(line.startswith("echo") and ".venv/bin/arb" in line for line in recipe[pip[0] :]), recipe


def test_readme_clone_directory_does_not_shadow_the_package() -> None:
    """A folder named `arb` beside a script shadows the installed package (`cannot import name 'Fee'`)."""
    clones = re.findall(r"git clone \S+(?: \S+)* (\S+) && cd (\S+)", README)
    assert clones, "README shows no `git clone ... DIR && cd DIR`"
    for target, cd in clones:
        assert target == cd and target != "arb", (target, cd)
    assert not re.search(r"(?m)\b(cd|mkdir) arb(\s|$)", README)


def _hint_env(path_has_arb: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARB_")} | {"PYTHONUNBUFFERED": "1"}
    dirs = [d for d in env.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "arb").exists()]
    if path_has_arb:
        dirs.insert(0, str(ARB_SCRIPT.parent))
    env["PATH"] = os.pathsep.join(dirs)
    return env


@pytest.mark.parametrize(("path_has_arb", "prog"), [(False, ".venv/bin/arb"), (True, "arb")])
def test_end_of_demo_hint_is_a_command_that_runs_as_typed(tmp_path: Path, path_has_arb: bool, prog: str) -> None:
    """README runs `.venv/bin/arb ...` from the checkout: the hint says the same, or `arb` when that is on PATH."""
    if not ARB_SCRIPT.exists():
        pytest.skip("no .venv/bin/arb (run `make venv`)")
    db = tmp_path / "demo.db"
    done = subprocess.run(
        [
            ".venv/bin/arb",
            "demo",
            "--duration",
            "1",
            "--venues",
            "okx,binance",
            "--symbols",
            "BTC/USDT",
            "--db",
            str(db),
        ],
        cwd=ROOT,
        env=_hint_env(path_has_arb),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"list them: {prog} opportunities --db {db}" in done.stdout, done.stdout[-600:]
    assert f"{prog} opportunities" in README or prog == "arb"
