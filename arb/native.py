"""The evaluator's modules compiled with mypyc, used only while they match the source exactly.

`make` runs ``python -m arb.native_build`` once after installing: mypyc compiles ``COMPILED`` (the same source,
nothing hand-written in C) into ``build/native/<key>/`` of the checkout, where ``<key>`` is a SHA-256 of every
``arb/core/*.py`` file. When ``arb`` is imported, arb/__init__.py calls :func:`activate` before any ``arb.core``
module is, and it looks for the directory of the key the source has *now*: any edit to ``arb/core`` changes
the key, so a stale build is never imported and the pure Python modules run instead. ``ARB_PURE_PYTHON=1``
forces pure Python. Either way the results are the same (tests/unit/test_native.py checks both against the
reference); only the time per call differs. :data:`STATUS` says which runs.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

COMPILED = ("books", "sizing", "envelope", "pieces", "search", "evaluator")
CORE = Path(__file__).resolve().parent / "core"
ROOT = CORE.parents[1]
STATUS = "pure Python (not activated)"  # what arb.core runs: set by arb/__init__.py


def source_key(core: Path = CORE) -> str:
    """SHA-256 (24 hex digits) of every ``*.py`` file of ``arb/core`` and the interpreter's ABI tag."""
    h = hashlib.sha256(sys.implementation.cache_tag.encode())
    for f in sorted(core.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:24]


def build_dir(root: Path = ROOT, core: Path = CORE) -> Path:
    return root / "build" / "native" / source_key(core)


def suffix() -> str:
    return importlib.machinery.EXTENSION_SUFFIXES[0]


def complete(d: Path) -> bool:
    return all((d / "core" / f"{m}{suffix()}").is_file() for m in COMPILED) and len(list(d.glob("lib/*"))) == 1


def activate(package_path: list[str], root: Path = ROOT, core: Path = CORE) -> str:
    """Put the build of the current source first on ``arb.core``'s path, if there is one; return what runs."""
    if os.environ.get("ARB_PURE_PYTHON"):
        return "pure Python (ARB_PURE_PYTHON is set)"
    d = build_dir(root, core)
    if not complete(d):
        return "pure Python (no mypyc build of this source: run make, or python -m arb.native_build)"
    (lib,) = d.glob("lib/*")
    name = lib.name.split(".", 1)[0]
    if name not in sys.modules:  # the compiled modules' shared library, which each of them imports by name
        try:
            spec = importlib.util.spec_from_file_location(name, lib)
            if spec is None or spec.loader is None:
                raise ImportError("not an extension module")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except ImportError as e:
            return f"pure Python (cannot load {lib.name}: {e})"
        sys.modules[name] = module
    package_path.insert(0, str(d / "core"))
    return "compiled (mypyc)"
