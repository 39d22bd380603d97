"""Credentials: from ``ARB_<NAME>_API_KEY``-style variables or a 0600 ``secrets_file``; and :func:`redact`.

Credentials never appear in ``repr``, ``str`` or :func:`redact` output.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arb.config._parse import _show, _suggest
from arb.redaction import MASK, is_secret_name, scrub

if TYPE_CHECKING:
    from arb.config.load import Config
    from arb.config.sections import VenueConfig

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


# ---- secrets_file and the environment ----


def _repo_root(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


def _forbidden_roots(base: Path, from_file: bool) -> list[Path]:
    """Where a secrets_file may not live: the config file's directory (``base``) and the repository."""
    forbidden = [base.resolve()] if from_file else []
    repo = _repo_root(base.resolve())
    if repo is not None and repo not in forbidden:
        forbidden.append(repo)
    return forbidden


def _read_secrets_file(v: VenueConfig, base: Path, forbidden: list[Path]) -> tuple[dict[str, str], list[str]]:
    assert v.secrets_file is not None
    key = f"venues.{v.name}.secrets_file = {_show(v.secrets_file)}"
    p = Path(v.secrets_file).expanduser()
    p = (p if p.is_absolute() else base / p).resolve()
    if not p.is_file():
        return {}, [f"{key}: no such file ({p})"]
    lines = [
        f"{key}: is inside {root} (the config directory or repository): keep secrets files outside it, "
        f"e.g. ~/.arb-secrets/{v.name}.toml"
        for root in forbidden
        if p.is_relative_to(root)
    ][:1]
    mode = p.stat().st_mode & 0o777
    if mode & 0o077:
        lines.append(f"{key}: mode {mode:04o} lets group or others read it, must be 0600 or stricter (chmod 600 {p})")
    if lines:
        return {}, lines
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        return {}, [f"{key}: cannot read it as TOML ({type(e).__name__})"]
    out: dict[str, str] = {}
    for k, x in data.items():
        if k not in CREDENTIAL_KEYS:
            allowed = ", ".join(CREDENTIAL_KEYS)
            lines.append(f"{key}: unknown key {k!r}{_suggest(k, CREDENTIAL_KEYS)} (allowed: {allowed})")
        elif not isinstance(x, str) or not x:
            lines.append(f"{key}: {k} must be a non-empty string")
        else:
            out[k] = x
    return out, lines


def _credentials(
    v: VenueConfig, env: Mapping[str, str], base: Path, forbidden: list[Path]
) -> tuple[VenueConfig, list[str]]:
    from_file, lines = _read_secrets_file(v, base, forbidden) if v.secrets_file else ({}, [])
    found: dict[str, str] = {}
    sources = set()
    for ccxt_key, env_name in zip(CREDENTIAL_KEYS, (v.api_key_env, v.secret_env, v.password_env), strict=True):
        if env.get(env_name):
            found[ccxt_key] = env[env_name]
            sources.add("env")
        elif ccxt_key in from_file:
            found[ccxt_key] = from_file[ccxt_key]
            sources.add("secrets_file")
    creds = Credentials(
        api_key=found.get("apiKey"),
        secret=found.get("secret"),
        password=found.get("password"),
        source="+".join(sorted(sources)) or "none",
    )
    resolved = str((base / Path(v.secrets_file).expanduser()).resolve()) if v.secrets_file else None
    return dataclasses.replace(v, credentials=creds, secrets_file=resolved), lines


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


def redact(obj: Config | Mapping[str, Any] | Any, *, keep_decimals: bool = False) -> dict[str, Any]:
    """The effective config as plain data with secrets, credentials and notify URL tokens set to "REDACTED".

    JSON-able (Decimals become strings) unless ``keep_decimals``. Safe to log or print.
    """
    tree = _redact_tree(_plain(obj, keep_decimals), ())
    return tree if isinstance(tree, dict) else {"value": tree}
