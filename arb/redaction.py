"""Secrets out of text: one predicate for credential names, one registry of credential values, one scrubber.

* :func:`is_secret_name` — does a key, header or parameter name hold a credential? Case-, ``-``- and
  ``_``-insensitive: ``apiKey``/``api_key``/``API-KEY``, ``secret``, ``password``/``passphrase``, ``uid``,
  ``privateKey``, ``token``, ``login``, ``signature``, ``Authorization`` and any name ending in ``KEY``,
  ``SIGN``, ``PASSPHRASE``… or containing ``APIKEY`` (``OK-ACCESS-KEY``, ``X-MBX-APIKEY``,
  ``X-BAPI-API-KEY``, ``X-BAPI-SIGN``). Names of *where* a secret lives (``…_env``, ``…_file``) are not
  secrets. The config refuses such keys in venue options and :func:`arb.config.redact` masks them.
* :func:`add_secrets` / :func:`add_url_secrets` — the credentials actually loaded this run (API keys,
  secrets, passphrases, notification URL tokens) are registered when the config is built.
* :func:`scrub` — a text with every registered value (also URL-encoded) and every
  ``<secret name>: value`` / ``<secret name>=value`` pair, ``Bearer``/``Basic`` token and URL user-info
  replaced by :data:`MASK`. The log handlers (:mod:`arb.cli.logs`), error lines, alerts and config dumps use it.

Values shorter than :data:`MIN_SECRET_LEN` are not registered: they are not credentials, and masking
them would mask every number in every line.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, quote_plus, urlsplit

MASK = "REDACTED"
MIN_SECRET_LEN = 4

_EXACT = frozenset(
    {
        "apikey",
        "secret",
        "secretkey",
        "apisecret",
        "password",
        "passphrase",
        "passwd",
        "pwd",
        "token",
        "accesstoken",
        "uid",
        "privatekey",
        "twofa",
        "login",
        "authorization",
        "auth",
        "cookie",
        "signature",
        "sign",
        "mnemonic",
        "jwt",
        "bearer",
        "credentials",
        "listenkey",
    }
)
_SUFFIXES = ("key", "sign", "signature", "secret", "password", "passphrase", "token", "cookie")
_NOT_SECRET_SUFFIXES = ("env", "file", "path")  # where a secret lives, not the secret


def norm(name: str) -> str:
    """A key name without case, ``-`` and ``_``: ``X-MBX-APIKEY`` → ``xmbxapikey``."""
    return name.lower().replace("_", "").replace("-", "")


def is_secret_name(name: object) -> bool:
    """True if a key/header/parameter called ``name`` carries a credential (see the module doc)."""
    if not isinstance(name, str):
        return False
    n = norm(name)
    if not n or n.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return n in _EXACT or n.endswith(_SUFFIXES) or "apikey" in n


# ---- the registry of values loaded this run ----

_lock = threading.Lock()
_values: set[str] = set()
_values_re: re.Pattern[str] | None = None


def add_secrets(*values: object) -> None:
    """Register credential values (and their URL-encoded forms) to be masked wherever they appear."""
    global _values_re
    new: set[str] = set()
    for v in values:
        if not isinstance(v, str) or len(v) < MIN_SECRET_LEN:
            continue
        new |= {v, quote(v, safe=""), quote_plus(v, safe="")}
    with _lock:
        if not new - _values:
            return
        _values.update(new)
        ordered = sorted(_values, key=len, reverse=True)  # longest first: a value containing another wins
        _values_re = re.compile("|".join(re.escape(v) for v in ordered))


def _url_parts(url: str) -> list[str]:
    _scheme, sep, rest = url.partition("://")
    if not sep:
        return [url]
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    parts = [url, rest]
    for piece in re.split(r"[/@:?&=#,]", rest):
        if len(piece) >= 8 and piece.lower() != host and not re.fullmatch(r"[\d.]+|localhost", piece):
            parts.append(piece)
    userinfo = rest.split("/", 1)[0].rpartition("@")[0]
    if userinfo:
        parts += [userinfo, *userinfo.split(":", 1)]
    return parts


def add_url_secrets(*urls: object) -> None:
    """Register a notification URL's tokens: the URL, its user-info and its long path/query pieces."""
    for url in urls:
        if isinstance(url, str) and url:
            add_secrets(*_url_parts(url))


# ---- scrubbing text ----

# <name><optional closing quote> : or = <optional opening quote><value>; the name may not continue a dotted
# path or a longer word (``venues.okx.options.headers.OK-ACCESS-KEY: …`` is a config path, not a header).
_PAIR_RE = re.compile(
    r"""(?<![\w.-])(?P<name>[A-Za-z][\w-]*)(?P<q>['"]?)(?P<sep>\s*[:=]\s*)(?P<vq>['"]?)"""
    r"""(?P<value>(?:(?:Bearer|Basic|Token)\s+)?[^\s'",;&{}\[\]()]+)"""
)
_TOKEN_RE = re.compile(r"\b(?P<kind>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_USERINFO_RE = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]+@")


def url_has_credentials(text: str) -> bool:
    """True if ``text`` holds a URL with user-info (``scheme://user:pass@host``) or a credential-named query
    parameter (``?apiKey=…``, ``&signature=…``)."""
    if _USERINFO_RE.search(text):
        return True
    _, q, query = text.partition("?")
    return bool(q) and any(is_secret_name(p.partition("=")[0]) for p in re.split(r"[&;]", query))


def _pair(m: re.Match[str]) -> str:
    if not is_secret_name(m["name"]) or m["value"] == MASK:
        return m[0]
    return f"{m['name']}{m['q']}{m['sep']}{m['vq']}{MASK}"


def scrub(text: str) -> str:
    """``text`` with every credential masked (registered values, secret-named pairs, tokens, URL user-info)."""
    if not text:
        return text
    pattern = _values_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _PAIR_RE.sub(_pair, text)
    text = _TOKEN_RE.sub(lambda m: f"{m['kind']} {MASK}", text)
    return _USERINFO_RE.sub(lambda m: f"{m['scheme']}{MASK}@", text)
