"""Credentials (the value type) and :func:`redact`; where they are read from is :mod:`arb.config.credentials`.

Credentials never appear in ``repr``, ``str`` or :func:`redact` output.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from arb.redaction import MASK, is_secret_name, scrub

REDACTED = MASK
CREDENTIAL_KEYS = ("apiKey", "secret", "password")  # ccxt constructor names, also the secrets_file keys


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """A venue's API credentials. Values never appear in ``repr``/``str``; :meth:`as_ccxt` passes them on."""

    api_key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    source: str = "none"  # where they came from: "env", "secrets_file", "env+secrets_file" or "none"

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={'***' if v else '<unset>'}" for k, v in self._items())
        return f"Credentials({shown}, source={self.source!r})"

    __str__ = __repr__

    def _items(self) -> tuple[tuple[str, str | None], ...]:
        return (("apiKey", self.api_key), ("secret", self.secret), ("password", self.password))

    def as_ccxt(self) -> dict[str, str]:
        """The credentials that are set, under ccxt's constructor names (apiKey, secret, password)."""
        return {k: v for k, v in self._items() if v}


# ---- redaction ----


def _redact_url(url: Any) -> str:
    scheme, sep, rest = str(url).partition("://")
    return f"{scheme}://{REDACTED}" if sep and rest else REDACTED


_USERINFO_RE = re.compile(r"(://)[^/@\s]+@")


def _plain(obj: Any, keep_decimals: bool) -> Any:
    if isinstance(obj, Credentials):
        return {k: (REDACTED if v else None) for k, v in obj._items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _plain(getattr(obj, f.name), keep_decimals) for f in fields(obj) if not f.metadata.get("derived")
        }
    if isinstance(obj, Mapping):
        return {str(k): _plain(v, keep_decimals) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_plain(v, keep_decimals) for v in obj]
    if isinstance(obj, Decimal):
        return obj if keep_decimals else str(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, str):
        return _USERINFO_RE.sub(rf"\1{REDACTED}@", obj)
    if obj is None or isinstance(obj, bool | int | float):
        return obj
    return str(obj)


def _redact_tree(tree: Any, path: tuple[str, ...]) -> Any:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            if is_secret_name(k) and v is not None:
                out[k] = REDACTED
            elif path == ("notify",) and k == "urls" and isinstance(v, list):
                out[k] = [_redact_url(u) for u in v]
            else:
                out[k] = _redact_tree(v, (*path, k))
        return out
    if isinstance(tree, list):
        return [_redact_tree(v, path) for v in tree]
    return scrub(tree) if isinstance(tree, str) else tree  # registered credential values, secret=value pairs


def redact(obj: Any, *, keep_decimals: bool = False) -> dict[str, Any]:
    """The effective config (a ``Config``, a mapping or a dataclass) as plain data with secrets, credentials and
    notify URL tokens set to "REDACTED".

    JSON-able (Decimals become strings) unless ``keep_decimals``. Safe to log or print.
    """
    tree = _redact_tree(_plain(obj, keep_decimals), ())
    return tree if isinstance(tree, dict) else {"value": tree}
