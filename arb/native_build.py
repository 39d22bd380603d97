"""``python -m arb.native_build``: compile the evaluator's modules with mypyc (arb/native.py says when they run).

Run by ``make`` after installing. Exit 0 when the build of the current source exists or was made; 1 when it could
not be made (no mypyc, no C compiler), in which case arb.core runs as pure Python with the same results.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arb.native import COMPILED, CORE, ROOT, build_dir, complete, suffix


def build(root: Path = ROOT, core: Path = CORE, quiet: bool = True) -> Path:
    """Compile ``COMPILED`` with mypyc into :func:`build_dir`; a no-op when that build exists. Raises on failure.

    The key is taken from the copy that is compiled (an edit during the build cannot file it under the wrong
    source); the build appears under its key in one rename, and builds of other keys are removed (processes
    already running keep theirs: every compiled module is loaded when ``arb`` is imported)."""
    dest = build_dir(root, core)
    if complete(dest):
        return dest
    with tempfile.TemporaryDirectory(prefix="arb-native-") as tmp:
        work = Path(tmp)
        shutil.copytree(core.parent, work / "arb", ignore=shutil.ignore_patterns("__pycache__", "*.so", "static"))
        dest = build_dir(root, work / "arb" / "core")
        files = [f"arb/core/{m}.py" for m in COMPILED]
        run = subprocess.run(
            [sys.executable, "-m", "mypyc", *files], cwd=work, capture_output=True, text=True, check=False
        )
        if run.returncode != 0:
            raise RuntimeError(f"mypyc failed (exit {run.returncode}):\n{run.stdout[-4000:]}{run.stderr[-4000:]}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = Path(tempfile.mkdtemp(prefix=f"{dest.name}.", suffix=".part", dir=dest.parent))
        (part / "core").mkdir()
        (part / "lib").mkdir()
        for m in COMPILED:
            shutil.copy2(work / "arb" / "core" / f"{m}{suffix()}", part / "core")
        (lib,) = work.glob(f"*__mypyc{suffix()}")
        shutil.copy2(lib, part / "lib")
        try:
            part.rename(dest)
        except OSError:  # another build of this source got there first
            shutil.rmtree(part, ignore_errors=True)
        for old in dest.parent.iterdir():  # builds of other sources; a build under way elsewhere is left alone
            if old.name != dest.name and not (old.name.endswith(".part") and time.time() - old.stat().st_mtime < 3600):
                shutil.rmtree(old, ignore_errors=True)
    if not quiet:
        print(f"arb: compiled {', '.join(COMPILED)} with mypyc into {dest}")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m arb.native_build",
        description="Compile arb/core's evaluator modules with mypyc into build/native/ (a no-op when this "
        "source's build exists). Exit 0: built or present; 1: could not be built (arb runs pure Python, same "
        "results); 2: usage error.",
    )
    parser.parse_args(argv)  # no options but --help; anything else exits 2 with a usage line
    try:
        import mypyc  # noqa: F401
    except ImportError:
        print("arb: mypyc is not installed (pip install -e '.[dev]'); arb.core runs as pure Python", file=sys.stderr)
        return 1
    if complete(build_dir()):
        return 0
    print("arb: compiling the evaluator with mypyc (about 20 s, once per change to arb/core)", flush=True)
    try:
        build(quiet=False)
    except (RuntimeError, OSError) as e:
        print(f"arb: the mypyc build failed; arb.core runs as pure Python (same results, slower): {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
