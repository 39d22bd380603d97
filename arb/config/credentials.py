"""Where a venue's credentials come from: ``ARB_<NAME>_API_KEY``-style variables or a 0600 ``secrets_file``
kept outside the config directory and the repository."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from arb.config._parse import _show, _suggest
from arb.config.secrets import CREDENTIAL_KEYS, Credentials

if TYPE_CHECKING:
    from arb.config.sections import VenueConfig


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
