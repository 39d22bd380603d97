"""The web dashboard: ``GET /`` (the page) and ``GET /ui/{name}`` (its scripts and style sheet).

The assets are small files shipped inside the package (``arb/api/static``); nothing is fetched from a CDN or
another origin at run time, and the Content-Security-Policy says so to the browser (scripts, styles and
connections only from this server). These routes carry no data, so they are the only ones served without a
token (:func:`arb.api.auth.is_public`): the page asks for the token, keeps it in the tab's sessionStorage and
sends it as ``Authorization: Bearer`` on every API call and on the stream (read with ``fetch``, since
``EventSource`` cannot send headers), never in a URL.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from aiohttp import web

# name -> content type of every asset the page may load (anything else is a 404)
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",  # state, sign-in, stream, actions (an ES module)
    "view.js": "text/javascript; charset=utf-8",  # API documents -> DOM
    "sse.js": "text/javascript; charset=utf-8",  # Server-Sent Events parsed from a fetch body
    "style.css": "text/css; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@cache
def asset(name: str) -> bytes:
    """The bytes of one shipped asset (read once from the installed package)."""
    return resources.files("arb.api").joinpath("static", name).read_bytes()


def _response(body: bytes, content_type: str) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": content_type, **HEADERS})


async def page(request: web.Request) -> web.Response:
    return _response(asset("index.html"), ASSETS["index.html"])


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS or name == "index.html":  # the page is served at / only
        raise web.HTTPNotFound(text='{"error": "no such asset"}', content_type="application/json")
    return _response(asset(name), ASSETS[name])


def routes() -> list[web.RouteDef]:
    """The page and its assets (public: no data in them)."""
    return [web.get("/", page), web.get("/ui/{name}", static)]
