"""Where the control API's bearer tokens come from, and the constant-time check.

``ARB_API_TOKEN`` in the environment wins (named ``env``). Otherwise the token file (``api.token_file``,
``--api-token-file``, default ``$XDG_CONFIG_HOME/arb/api-token`` = ``~/.config/arb/api-token``): one token
per line, optionally ``NAME TOKEN`` (the name is who the journal says acted); ``#`` starts a comment. A
missing file is created 0600 with one random token (named ``operator``); a file group or others can read is
refused. Every token is registered with :mod:`arb.redaction`, so it never reaches a log line.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from arb.core.errors import ConfigError
from arb.redaction import add_secrets

ENV_TOKEN = "ARB_API_TOKEN"
MIN_TOKEN_LEN = 16


def default_token_file(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "arb" / "api-token"


@dataclass(frozen=True, slots=True)
class Tokens:
    """The accepted tokens by name; ``source`` says where they came from (never the token)."""

    by_name: dict[str, str] = field(repr=False)
    source: str

    def who(self, presented: str | None) -> str | None:
        """The name of the token presented, or None. Compares against every token in constant time each."""
        if not presented:
            return None
        given = presented.encode("utf-8", "surrogateescape")
        found: str | None = None
        for name, token in self.by_name.items():  # no early exit: the time does not depend on which matched
            if hmac.compare_digest(given, token.encode("utf-8", "surrogateescape")) and found is None:
                found = name
        return found

    def __repr__(self) -> str:
        return f"Tokens(names={sorted(self.by_name)}, source={self.source!r})"


def _parse(text: str, path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 2:
            raise ConfigError(f"{path}:{n}: write one token per line, or NAME TOKEN (got {len(parts)} words)")
        name, token = (parts[0], parts[1]) if len(parts) == 2 else (f"token{len(out) + 1}", parts[0])
        if len(token) < MIN_TOKEN_LEN:
            raise ConfigError(f"{path}:{n}: the token is shorter than {MIN_TOKEN_LEN} characters; use a random one")
        out[name] = token
    if not out:
        raise ConfigError(f"{path}: no token in the file; write one line with a random token, or delete the file")
    return out


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"operator {secrets.token_urlsafe(32)}\n")


def load_tokens(token_file: str | None, env: dict[str, str] | None = None) -> Tokens:
    """The tokens for this server: ``ARB_API_TOKEN``, else the token file (created on first use)."""
    env = dict(os.environ) if env is None else env
    value = env.get(ENV_TOKEN, "")
    if value.strip():
        token = value.strip()
        if len(token) < MIN_TOKEN_LEN:
            raise ConfigError(f"{ENV_TOKEN}: shorter than {MIN_TOKEN_LEN} characters; use a random token")
        add_secrets(token)
        return Tokens({"env": token}, f"environment {ENV_TOKEN}")
    path = Path(token_file).expanduser() if token_file else default_token_file(env)
    created = False
    if not path.exists():
        try:
            _create(path)
            created = True
        except FileExistsError:  # another arb created it meanwhile: read that one
            pass
        except OSError as e:
            raise ConfigError(f"api.token_file = {path}: cannot create it ({e.strerror}); set {ENV_TOKEN}") from None
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigError(
                f"api.token_file = {path}: mode {mode:04o} lets group or others read it, "
                f"must be 0600 or stricter (chmod 600 {path})"
            )
        by_name = _parse(path.read_text(encoding="utf-8"), path)
    except OSError as e:
        raise ConfigError(f"api.token_file = {path}: cannot read it ({e.strerror})") from None
    add_secrets(*by_name.values())
    return Tokens(by_name, f"{'created ' if created else ''}file {path}")
