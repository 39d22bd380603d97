"""Browser tests: the dashboard in headless Debian Chromium, driven by Playwright's Python client.

Playwright never downloads a browser here: it launches the system's ``chromium`` (Debian package ``chromium``;
``.ci/run`` installs it when missing) with a fresh profile directory and every background service off, so the
page talks only to the ``arb`` process under test on 127.0.0.1. Without that binary the tests skip and say why.

``served(...)`` starts an ``arb`` command with the control API on a free loopback port as a real subprocess and
yields its base URL (read from the ``api: listening on …`` line); ``browser_page`` is a new page in a new browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.kit.run import start_arb

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LISTENING = re.compile(r"api: listening on (http://\S+)")


def chromium_path() -> str | None:
    """Debian's Chromium (``/usr/bin/chromium``, else ``chromium`` on PATH), or None."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "BROWSER TESTS SKIPPED: no Chromium binary (/usr/bin/chromium). Install the Debian package "
            "'chromium' (apt-get install chromium; .ci/run does this) to run the dashboard tests."
        )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip("BROWSER TESTS SKIPPED: the Python package 'playwright' is missing (pip install -e '.[dev]').")
    return path


@pytest.fixture
async def browser_page(chromium: str, tmp_path: Path) -> AsyncIterator[Any]:
    """A page in a fresh headless Chromium (its own profile directory under tmp_path); page errors fail the test."""
    from playwright.async_api import async_playwright

    errors: list[str] = []
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page
        finally:
            await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@dataclass
class Served:
    """A running ``arb`` with the API: its process, base URL and what it printed on stderr so far."""

    proc: asyncio.subprocess.Process
    url: str = ""
    stderr: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def stop(self) -> int:
        """SIGTERM (as Ctrl-C would), then the exit code; a process that hangs is killed and fails the test."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError("arb did not stop within 30 s of SIGTERM") from None
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.reader, 5)
        return code

    def err(self) -> str:
        return "".join(self.stderr)


@contextlib.asynccontextmanager
async def served(*args: str, env: dict[str, str], timeout_s: float = 30) -> AsyncIterator[Served]:
    """``arb *args --api 127.0.0.1:0`` as a subprocess; yields once the API listens (stderr is collected)."""
    proc = await start_arb(*args, "--api", "127.0.0.1:0", env=env, stdout=asyncio.subprocess.DEVNULL)
    s = Served(proc)
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode(errors="replace")
            s.stderr.append(line)
            m = LISTENING.search(line)
            if m and not found.done():
                found.set_result(m.group(1))
        if not found.done():
            found.set_exception(AssertionError(f"arb exited before its API listened:\n{s.err()}"))

    s.reader = asyncio.create_task(read())
    try:
        s.url = await asyncio.wait_for(asyncio.shield(found), timeout_s)
        yield s
    finally:
        await s.stop()
