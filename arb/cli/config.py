"""`arb config check|show`: validate a configuration file and print the effective config, redacted.

Problems surface as :class:`arb.core.errors.ConfigError`; ``arb.cli.main`` prints each one as
``arb: config: <problem>`` on stderr and exits 2.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from arb.config import load_config, redact

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _toml_decimal(d: Decimal) -> str:
    text = format(d, "f")
    if "." not in text or str(float(text)) == text:
        return text
    return json.dumps(text)  # more digits than a TOML float keeps exactly: write it as a string


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return _toml_decimal(v)
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        body = ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items() if x is not None)
        return "{ " + body + " }" if body else "{}"
    return json.dumps(str(v))


def to_toml(tree: dict[str, Any]) -> str:
    """Render a :func:`arb.config.redact` tree (``keep_decimals=True``) as TOML that loads back."""
    out: list[str] = []

    def table(header: str, body: dict[str, Any]) -> None:
        out.append(f"[{header}]")
        out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in body.items() if v is not None)
        out.append("")

    for section, body in tree.items():
        if section == "venues":
            for name, venue in body.items():
                table(f"venues.{_toml_key(name)}", venue)
        else:
            table(section, body)
    return "\n".join(out)


@click.group("config", context_settings={"help_option_names": ["-h", "--help"]})
def config_group() -> None:
    """Check and show configuration.

    \b
    A config file is TOML; start from config.example.toml. Any key can be
    overridden from the environment as ARB__SECTION__KEY, e.g.
      ARB__SCANNER__MIN_NET_BPS=3  ARB__VENUES__OKX__TAKER_FEE_BPS=8
    Credentials come from ARB_<VENUE>_API_KEY / _SECRET / _PASSWORD or a
    0600 secrets_file, never from the config file.
    """


@config_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check_command(file: Path) -> None:
    """Validate FILE plus ARB__… environment overrides.

    Prints "ok: FILE (N venues, M symbols, mode X)" and exits 0, or prints every
    problem on stderr (one line each, naming the key) and exits 2.

    \b
    Example:
      arb config check config.example.toml
    """
    cfg = load_config(file)
    n_venues, n_symbols = len(cfg.scanner.venues), len(cfg.scanner.symbols)
    symbols = "symbols auto" if cfg.scanner.symbols == ("auto",) else f"{n_symbols} symbols"  # discovered at start
    click.echo(f"ok: {file} ({n_venues} venues, {symbols}, mode {cfg.execution.mode})")


@config_group.command("show")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of TOML.")
def show_command(file: Path | None, as_json: bool) -> None:
    """Print the effective configuration, secrets redacted.

    FILE plus defaults and ARB__… environment overrides (without FILE: defaults
    and overrides only). Credentials are never printed; notification URLs are
    shown as "scheme://REDACTED".

    \b
    Examples:
      arb config show config.example.toml
      arb config show --json config.example.toml
    """
    cfg = load_config(file)
    if as_json:
        click.echo(json.dumps(redact(cfg), indent=2))
    else:
        click.echo(f"# effective configuration from {cfg.source}; secrets redacted")
        click.echo(to_toml(redact(cfg, keep_decimals=True)), nl=False)
