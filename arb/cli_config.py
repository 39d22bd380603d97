"""`arb config …` commands (placeholder until config lands)."""

from __future__ import annotations

import click


@click.group("config")
def config_group() -> None:
    """Check and show configuration."""
