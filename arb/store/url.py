"""A journal's location: a SQLite path, or a PostgreSQL URL — and that URL as it may be shown.

:func:`display_url` is the only form of a Postgres URL that arb prints, logs or journals: the password (in
the user-info or a ``password=`` parameter) becomes ``REDACTED``. :func:`check_url` is the one-line check
behind ``store.url`` / ``store.paper_url``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from arb.redaction import MASK, scrub

PG_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: str | Path) -> bool:
    """True for a Postgres URL (``postgresql://…`` / ``postgres://…``), False for a SQLite path."""
    return isinstance(location, str) and location.strip().lower().startswith(PG_SCHEMES)


def url_password(url: str) -> str | None:
    """The password in a Postgres URL (user-info or ``password=`` parameter), or None."""
    try:
        parts = urlsplit(url)
        if parts.password:
            return parts.password
    except ValueError:
        return None
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if key.lower() == "password" and value:
            return value
    return None


def display_url(url: str) -> str:
    """``url`` as it may be printed, logged or journaled: the password replaced by ``REDACTED``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:{MASK}@{host}"
    query = "&".join(
        f"{k}={MASK}" if k.lower() == "password" else f"{k}{sep}{v}"
        for k, sep, v in (p.partition("=") for p in parts.query.split("&") if p)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_url(url: str) -> str | None:
    """None if ``url`` is a usable PostgreSQL URL, else what is wrong with it (never quoting its password)."""
    if not is_url(url):
        return 'must start with "postgresql://" (or "postgres://")'
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError as e:
        return f"is not a valid URL ({e})"
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        return 'names no database: add it after the host, e.g. "postgresql://arb@db.example:5432/arb"'
    return None
