"""Docs stay honest: config fields documented in code and config.example.toml; commands have help."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import pytest

from arb.cli.config import config_group
from arb.config import SECTIONS, Config, load_config

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"
_HEADER = re.compile(r"\[([^\]]+)\]")
_KEY = re.compile(r"#?\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")  # a key, possibly commented out (optional keys)


def example_keys() -> dict[tuple[str, str], bool]:
    """(section, key) → whether a comment line sits right above it; [venues.X] tables count as "venues"."""
    found: dict[tuple[str, str], bool] = {}
    section, previous = "", ""
    for raw in EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if header := _HEADER.fullmatch(line):
            section = header.group(1).split(".")[0]
        elif (key := _KEY.match(line)) and section:
            explained = previous.startswith("#") and not _KEY.match(previous)
            found[(section, key.group(1))] = found.get((section, key.group(1)), False) or explained
        previous = line
    return found


def config_fields() -> list[tuple[str, dataclasses.Field[object]]]:
    return [
        (section, f) for section, cls in SECTIONS.items() for f in dataclasses.fields(cls) if not f.metadata["derived"]
    ]


FIELDS = config_fields()


@pytest.mark.parametrize(("section", "field"), FIELDS, ids=[f"{s}.{f.name}" for s, f in FIELDS])
def test_field_in_example_with_comment(section: str, field: dataclasses.Field[object]) -> None:
    keys = example_keys()
    assert (section, field.name) in keys, f"config.example.toml lacks `{field.name} =` under [{section}]"
    assert keys[(section, field.name)], f"config.example.toml: [{section}] {field.name} needs a comment line above"


@pytest.mark.parametrize(
    "field",
    [f for cls in (*SECTIONS.values(), Config) for f in dataclasses.fields(cls)],
    ids=lambda f: f.name,
)
def test_field_has_doc(field: dataclasses.Field[object]) -> None:
    doc = field.metadata.get("doc")
    assert isinstance(doc, str) and len(doc) > 10, f"{field.name}: add metadata={{'doc': ...}}"


def test_sections_cover_config() -> None:
    assert [f.name for f in dataclasses.fields(Config) if not f.metadata["derived"]] == list(SECTIONS)


def test_example_has_no_unknown_keys_and_is_safe() -> None:
    known = {(s, f.name) for s, f in FIELDS}
    assert set(example_keys()) <= known
    cfg = load_config(EXAMPLE, env={})
    assert cfg.execution.mode == "alert"
    assert cfg.scanner.venues == ("okx", "binance", "bybit")
    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"} == set(cfg.scanner.symbols)
    assert cfg.notify.urls == ()
    assert all(v.secrets_file is None and not v.credentials.as_ccxt() for v in cfg.venues.values())


@pytest.mark.parametrize("name", sorted(config_group.commands))
def test_config_commands_have_help(name: str) -> None:
    command = config_group.commands[name]
    assert command.help and len(command.help.strip()) > 20
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"arb config {name} {param.opts[0]} needs help text"
