"""The evaluator's mypyc build (arb/native.py): used when it was built from this exact source, never when
stale or broken, and with the same results as the pure Python modules, which must pass the same properties."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import arb.core.evaluator
import arb.core.sizing
from arb import native
from arb.core.evaluator import evaluate
from arb.core.model import Fee, Limits
from bench.evaluator_bench import BUY, SELL, books

ROOT = Path(__file__).resolve().parents[2]


def built() -> bool:
    return native.complete(native.build_dir())


def test_the_evaluator_runs_compiled_when_make_built_this_source() -> None:
    if os.environ.get("ARB_PURE_PYTHON"):
        pytest.skip("ARB_PURE_PYTHON is set: this run checks the pure Python evaluator")
    if not built():
        pytest.skip(
            "NO MYPYC BUILD of this source (make runs python -m arb.native_build; it needs a C compiler): "
            "the evaluator runs as pure Python, slower, same results"
        )
    assert native.STATUS == "compiled (mypyc)"
    for module in (arb.core.evaluator, arb.core.sizing):
        assert module.__file__ is not None and module.__file__.endswith(native.suffix()), module.__file__


def test_the_pure_python_evaluator_passes_the_reference_properties_too() -> None:
    """The suite runs the compiled modules when they are built, so the pure Python ones (what runs without a C
    compiler, or with ARB_PURE_PYTHON=1) are checked here against the same reference, in their own process."""
    env = {**os.environ, "ARB_PURE_PYTHON": "1"}
    probe = "import arb.native as n, arb.core.sizing as s; print(n.STATUS); print(s.__file__)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    status, path = out.stdout.splitlines()
    assert status == "pure Python (ARB_PURE_PYTHON is set)" and path.endswith("arb/core/sizing.py")
    tests = [
        "tests/unit/test_evaluator_speed.py",
        "tests/unit/test_evaluator_pieces.py",
        "tests/unit/test_evaluator.py",
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def fake_tree(tmp: Path) -> tuple[Path, Path]:
    """A copy of arb/core (its key is the real one) under a root of its own."""
    core = tmp / "arb" / "core"
    shutil.copytree(native.CORE, core, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp, core


def test_any_edit_to_arb_core_changes_the_key(tmp_path: Path) -> None:
    _, core = fake_tree(tmp_path)
    key = native.source_key(core)
    assert key == native.source_key()
    for f in sorted(core.glob("*.py")):
        text = f.read_bytes()
        f.write_bytes(text + b"\n")
        assert native.source_key(core) != key, f.name
        f.write_bytes(text)
    (core / "new.py").write_text("")
    assert native.source_key(core) != key


def test_a_stale_build_is_never_imported(tmp_path: Path) -> None:
    if not built():
        pytest.skip("NO MYPYC BUILD of this source to copy (make runs python -m arb.native_build)")
    root, core = fake_tree(tmp_path)
    shutil.copytree(native.build_dir(), native.build_dir(root, core))
    path: list[str] = []
    assert native.activate(path, root, core) == "compiled (mypyc)"
    assert path == [str(native.build_dir(root, core) / "core")]
    (core / "sizing.py").write_text((core / "sizing.py").read_text().replace("PREC = ", "PREC: int = "))
    path = []
    assert native.activate(path, root, core).startswith("pure Python (no mypyc build of this source")
    assert path == []


def test_a_broken_or_partial_build_falls_back_to_pure_python(tmp_path: Path) -> None:
    root, core = fake_tree(tmp_path)
    d = native.build_dir(root, core)
    (d / "core").mkdir(parents=True)
    (d / "lib").mkdir()
    for m in native.COMPILED[:-1]:
        (d / "core" / f"{m}{native.suffix()}").write_bytes(b"")
    path: list[str] = []
    assert native.activate(path, root, core).startswith("pure Python (no mypyc build")  # one module missing
    (d / "core" / f"{native.COMPILED[-1]}{native.suffix()}").write_bytes(b"")
    (d / "lib" / f"feedface__mypyc{native.suffix()}").write_bytes(b"not an ELF file")
    status = native.activate(path, root, core)
    assert status.startswith("pure Python (cannot load feedface__mypyc") and path == []
    assert "feedface__mypyc" not in sys.modules


class LazyBook(dict[str, Any]):
    """A book that builds its sides when first read through ``get`` (as the backtest's replay book does)."""

    def __init__(self, book: dict[str, Any]) -> None:
        super().__init__(symbol="BTC/USDT")
        self.sides = book

    def get(self, key: str, default: Any = None) -> Any:
        return self.sides.get(key, default)


def test_a_dict_subclass_book_is_read_through_its_own_get() -> None:
    """Failed with the first mypyc build: the compiled ``ladders`` read ``book.get`` as the plain dict's, so
    every replayed book looked empty and a backtest found nothing."""
    buy, sell = books(20)
    kw: dict[str, Any] = {
        "buy_market": BUY,
        "sell_market": SELL,
        "buy_fee": Fee(Decimal("0.001")),
        "sell_fee": Fee(Decimal("0.001")),
        "limits": Limits(),
    }
    want = evaluate(buy, sell, **kw)
    assert want is not None
    assert evaluate(LazyBook(buy), LazyBook(sell), **kw) == want


def test_arb_version_says_how_the_evaluator_runs() -> None:
    for env, want in (({}, native.STATUS), ({"ARB_PURE_PYTHON": "1"}, "pure Python (ARB_PURE_PYTHON is set)")):
        run = subprocess.run(
            [sys.executable, "-m", "arb.cli", "--version"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0 and run.stderr == ""
        assert run.stdout.strip().endswith(f"(evaluator: {want})"), run.stdout


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_build_is_filed_under_its_source_and_replaces_builds_of_other_sources(tmp_path: Path) -> None:
    pytest.importorskip("mypyc", reason="NO MYPYC: make installs it with the dev extra")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("NO C COMPILER: the evaluator runs as pure Python (.ci/run installs gcc)")
    from arb.native_build import build

    shutil.copytree(native.CORE.parent, tmp_path / "arb", ignore=shutil.ignore_patterns("__pycache__", "static"))
    core = tmp_path / "arb" / "core"
    old = tmp_path / "build" / "native" / "0123456789abcdef01234567"
    (old / "core").mkdir(parents=True)
    d = build(tmp_path, core)
    assert d == native.build_dir(tmp_path, core) and native.complete(d)
    assert [x.name for x in d.parent.iterdir()] == [d.name]
    assert build(tmp_path, core) == d  # a no-op once built
    path: list[str] = []
    assert native.activate(path, tmp_path, core) == "compiled (mypyc)"


def test_native_build_as_a_user_runs_it() -> None:
    """Exit codes as README's: 0 when this source's build is there (or was made), 2 for a bad flag, --help 0."""
    run = [sys.executable, "-m", "arb.native_build"]
    bad = subprocess.run([*run, "--bogus"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "unrecognized arguments: --bogus" in bad.stderr and "Traceback" not in bad.stderr
    helped = subprocess.run([*run, "--help"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert helped.returncode == 0 and "mypyc" in helped.stdout
    if built():
        ok = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, check=False)
        assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")  # present: nothing to do, nothing said
