"""The dashboard's assets without a browser: shipped in the package, self-contained, served with a strict policy.

- every file in ``arb/api/static`` is matched by the package-data globs in pyproject.toml (a wheel carries it);
- no asset loads anything from another origin (no CDN, no web fonts): no ``http(s)://`` or ``//host`` reference
  besides the SVG namespace name, and the page loads only ``/ui/`` assets;
- the script never puts the token in a URL and reads the stream with ``fetch`` (``EventSource`` cannot send the
  Authorization header);
- the page and its assets are served with a Content-Security-Policy that allows only this origin; an unknown
  asset name is a 404.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from arb.api import dashboard

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "arb" / "api" / "static"
SVG_NS = "http://www.w3.org/2000/svg"


def test_every_asset_is_package_data() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["arb.api"]
    files = sorted(p.name for p in STATIC.iterdir() if p.is_file())
    assert set(files) == set(dashboard.ASSETS)
    for name in files:
        assert any(fnmatch.fnmatch(f"static/{name}", g) for g in globs), f"{name} is not in arb.api's package-data"


def test_assets_load_nothing_from_elsewhere() -> None:
    for name in dashboard.ASSETS:
        text = (STATIC / name).read_text(encoding="utf-8").replace(SVG_NS, "")
        assert not re.search(r"https?://", text), f"{name} names another origin"
        assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?//""", text), f"{name} loads a protocol-relative URL"
        assert "@import" not in text and "@font-face" not in text
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    loaded = re.findall(r"""(?:src|href)="([^"]+)""", page)
    assert loaded and all(u.startswith("/ui/") or u == "data:," for u in loaded), loaded


def test_the_token_goes_in_a_header_never_a_url() -> None:
    js = "\n".join(p.read_text(encoding="utf-8") for p in sorted(STATIC.glob("*.js")))
    assert "new EventSource" not in js  # cannot send headers: the stream is read with fetch
    assert 'Authorization: "Bearer " + token' in js
    assert not re.search(r"[?&](token|access_token|auth)=", js)
    assert "localStorage" not in js and "document.cookie" not in js  # the tab's sessionStorage only
    assert ".innerHTML" not in js  # data goes into the page as text, never as markup


async def test_served_with_a_strict_policy_and_nothing_else() -> None:
    app = web.Application()
    app.add_routes(dashboard.routes())
    async with TestClient(TestServer(app, host="127.0.0.1")) as http:
        for name, kind in dashboard.ASSETS.items():
            path = "/" if name == "index.html" else f"/ui/{name}"
            r = await http.get(path)
            assert r.status == 200 and r.content_type == kind.split(";")[0], path
            assert r.headers["Content-Security-Policy"] == dashboard.CSP
            assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in dashboard.CSP and "connect-src 'self'" in dashboard.CSP
        for missing in ("/ui/nothing.js", "/ui/..%2Fdashboard.py", "/ui/", "/ui/index.html"):
            assert (await http.get(missing)).status == 404, missing
