"""What a backtest varies: the ``[scanner]``, ``[execution]`` and ``[risk]`` settings, overrides, sweep grids."""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from dataclasses import dataclass, field
from typing import Any

from arb.config import Config, ExecutionConfig, RiskConfig, ScannerConfig, redact
from arb.core.errors import ConfigError
from arb.core.model import Limits

SECTIONS = {"scanner": ScannerConfig, "execution": ExecutionConfig, "risk": RiskConfig}


@dataclass(frozen=True, slots=True)
class Settings:
    """What a backtest varies: ``[scanner]``, ``[execution]`` and ``[risk]`` plus the mode."""

    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    mode: str = "paper"

    @classmethod
    def from_config(cls, cfg: Config | None, mode: str = "paper") -> Settings:
        if cfg is None:
            return cls(mode=mode)
        return cls(cfg.scanner, cfg.execution, cfg.risk, mode)

    def limits(self) -> Limits:
        return self.scanner.limits()

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, **{k: redact(getattr(self, k)) for k in SECTIONS}}


def parse_value(text: str) -> Any:
    """A TOML value (``5``, ``"x"``, ``[1, 2]``, ``{okx = {USDT = 100}}``) or else the plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def override(settings: Settings, key: str, value: Any) -> Settings:
    """``settings`` with ``section.key`` set (validated like the config file; ConfigError if bad)."""
    section, _, name = key.partition(".")
    if section == "mode" and not name:
        if value not in ("alert", "paper"):
            raise ConfigError(f"mode = {value!r}: a backtest runs in alert or paper mode")
        return dataclasses.replace(settings, mode=value)
    if section not in SECTIONS or not name:
        raise ConfigError(
            f"{key}: sweep/set keys look like scanner.min_net_bps, execution.paper_latency_ms or risk.daily_loss_limit"
        )
    obj = getattr(settings, section)
    names = [f.name for f in dataclasses.fields(obj) if not f.metadata.get("derived")]
    if name not in names:
        raise ConfigError(f"{key}: no such key in [{section}] (keys: {', '.join(names)})")
    if isinstance(value, float):
        value = str(value)  # exact, like a TOML string
    return dataclasses.replace(settings, **{section: dataclasses.replace(obj, **{name: value})})


def parse_assignment(text: str) -> tuple[str, list[str]]:
    """``key=v1,v2,...`` → (key, [value texts]); a value starting with ``[`` or ``{`` is one TOML value."""
    key, sep, values = text.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise ConfigError(f"{text!r}: write key=value or key=v1,v2,... (e.g. scanner.min_net_bps=3,5,8)")
    parts = [values] if values.strip().startswith(("[", "{")) else values.split(",")
    return key.strip(), [v.strip() for v in parts]


def apply(settings: Settings, assignments: list[tuple[str, str]]) -> Settings:
    """``settings`` with each (key, value text) applied in order."""
    for key, text in assignments:
        settings = override(settings, key, parse_value(text))
    return settings


def grid(axes: list[tuple[str, list[str]]]) -> list[list[tuple[str, str]]]:
    """Every combination of the sweep axes, first axis slowest."""
    return [
        list(zip([k for k, _ in axes], combo, strict=True)) for combo in itertools.product(*(vals for _, vals in axes))
    ]
