"""Browser tests: the dashboard in headless Debian Chromium, driven by Playwright's Python client.

Playwright never downloads a browser here: it launches the system's ``chromium`` (Debian package ``chromium``;
``.ci/run`` installs it when missing) with a fresh profile directory and every background service off, so the
page talks only to the ``arb`` process under test on 127.0.0.1. Without that binary the tests skip and say why.

``browser_page`` is a new page in a new browser; :mod:`tests.browser.harness` starts the ``arb`` under test.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

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
