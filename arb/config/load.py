"""Loading: TOML → :class:`Config`, with ``ARB__SECTION__KEY`` environment overrides and cross-field checks.

Any key can be overridden from the environment as ``ARB__SECTION__KEY`` (e.g.
``ARB__SCANNER__MIN_NET_BPS=3``, ``ARB__VENUES__OKX__TAKER_FEE_BPS=8``); the value is read as a TOML
value when it parses, else as a string. Every problem is one line naming the key path, the bad value
and what is allowed; all problems are collected and raised together as :class:`arb.core.errors.ConfigError`.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from arb.config._parse import (
    _SECRETS_HINT,
    _Bad,
    _ccxt_ids,
    _secret_line,
    _show,
    _suggest,
    required_credentials,
)
from arb.config.api import ApiConfig
from arb.config.credentials import _credentials, _forbidden_roots
from arb.config.rebalance import RebalanceConfig
from arb.config.scale import ScaleConfig
from arb.config.secrets import CREDENTIAL_KEYS
from arb.config.sections import (
    SECTIONS,
    ExecutionConfig,
    NotifyConfig,
    RiskConfig,
    ScannerConfig,
    StoreConfig,
    VenueConfig,
    _md,
)
from arb.core.errors import ConfigError
from arb.core.model import Limits
from arb.redaction import add_secrets, add_url_secrets, is_secret_name

ENV_PREFIX = "ARB__"
SECTIONS.setdefault("rebalance", RebalanceConfig)  # [rebalance] lives in its own module (arb.config.rebalance)
SECTIONS.setdefault("api", ApiConfig)  # [api] lives in its own module (arb.config.api)
SECTIONS.setdefault("scale", ScaleConfig)  # [scale] lives in its own module (arb.config.scale)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration: build with :func:`load_config`, :meth:`from_dict`, :func:`default_config`."""

    scanner: ScannerConfig = field(default_factory=ScannerConfig, metadata=_md("[scanner] table"))
    venues: dict[str, VenueConfig] = field(
        default_factory=dict,
        metadata=_md("[venues.NAME] tables; venues in scanner.venues without a table get the defaults"),
    )
    execution: ExecutionConfig = field(default_factory=ExecutionConfig, metadata=_md("[execution] table"))
    risk: RiskConfig = field(default_factory=RiskConfig, metadata=_md("[risk] table"))
    notify: NotifyConfig = field(default_factory=NotifyConfig, metadata=_md("[notify] table"))
    store: StoreConfig = field(default_factory=StoreConfig, metadata=_md("[store] table"))
    rebalance: RebalanceConfig = field(default_factory=RebalanceConfig, metadata=_md("[rebalance] table"))
    api: ApiConfig = field(default_factory=ApiConfig, metadata=_md("[api] table"))
    scale: ScaleConfig = field(default_factory=ScaleConfig, metadata=_md("[scale] table"))
    source: str = field(
        default="<defaults>",
        compare=False,
        metadata=_md("where the config came from (file path, <dict> or <defaults>)", derived=True),
    )

    def __post_init__(self) -> None:
        missing = {n: VenueConfig(name=n) for n in self.scanner.venues if n not in self.venues}
        object.__setattr__(self, "venues", {**self.venues, **missing})
        # every credential this config holds is masked in logs, errors and dumps from now on
        add_secrets(*(x for v in self.venues.values() for x in v.credentials.as_ccxt().values()))
        add_url_secrets(*self.notify.urls)
        problems = _cross_problems(self.scanner, self.venues, self.execution, self.risk, self.store, set())
        if problems:
            raise ConfigError(problems)

    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        env: Mapping[str, str] = os.environ,
        source: str = "<dict>",
        base_dir: str | Path | None = None,
    ) -> Config:
        """Validate a parsed TOML document plus ``ARB__…`` overrides from ``env``; raise all problems.

        ``base_dir`` anchors a relative ``secrets_file`` (default: the working directory).
        """
        return _build_config(d, env, source, Path(base_dir) if base_dir is not None else None)

    def limits(self) -> Limits:
        """The evaluator's thresholds from ``[scanner]``."""
        return self.scanner.limits()

    def venue(self, name: str) -> VenueConfig:
        """The venue called ``name`` (a [venues.NAME] table or a plain ccxt id from scanner.venues)."""
        try:
            return self.venues[name]
        except KeyError:
            raise ConfigError(f"venues.{name}: not configured (configured: {', '.join(self.venues)})") from None

    def active_venues(self) -> tuple[VenueConfig, ...]:
        """The venues in ``scanner.venues``, in that order."""
        return tuple(self.venues[n] for n in self.scanner.venues)


def default_config() -> Config:
    """The built-in defaults (alert mode, okx + binance + bybit, five liquid USDT pairs), no environment."""
    return Config.from_dict({}, env={}, source="<defaults>")


def load_config(path: str | Path | None, env: Mapping[str, str] = os.environ) -> Config:
    """Read a TOML file (or only defaults if ``path`` is None), apply ``ARB__…`` overrides, validate."""
    if path is None:
        return Config.from_dict({}, env=env, source="<defaults>")
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file, start from config.example.toml") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    return Config.from_dict(data, env=env, source=str(p), base_dir=p.resolve().parent)


# ---- building: overrides, sections, credentials, cross-field checks ----


def _env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _env_key(prefix: list[str], part: str, node: Any) -> str:
    if isinstance(node, dict):
        for k in node:
            if isinstance(k, str) and k.lower() == part.lower():
                return k
    if len(prefix) >= 2 and prefix[1] in ("paper_balances", "min_balances"):
        return part.upper() if len(prefix) == 3 else part.lower()  # venue → ASSET
    if len(prefix) >= 3 and prefix[0] == "venues":
        return part  # inside options: ccxt keys are camelCase, keep as written
    return part.lower()


def _apply_env(raw: dict[str, Any], env: Mapping[str, str], problems: list[str], origins: dict[str, str]) -> None:
    for name in sorted(k for k in env if k.startswith(ENV_PREFIX)):
        parts = name[len(ENV_PREFIX) :].split("__")
        if not all(parts):
            problems.append(f"{name}: malformed override, use ARB__SECTION__KEY, e.g. ARB__SCANNER__MIN_NET_BPS=3")
            continue
        value = _env_value(env[name])
        keys: list[str] = []
        node: Any = raw
        for part in parts:
            keys.append(_env_key(keys, part, node))
            node = node.get(keys[-1]) if isinstance(node, dict) else None
        if len(keys) == 1:
            problems.append(f"{name}: overrides a whole section, use ARB__{parts[0]}__KEY=value instead")
            continue
        node = raw
        for i, k in enumerate(keys[:-1]):
            if k not in node:
                origins.setdefault(".".join(keys[: i + 1]), name)  # a table only this override creates
            nxt = node.setdefault(k, {})
            if not isinstance(nxt, dict):
                parent = ".".join(keys[: i + 1])
                problems.append(f"{'.'.join(keys)}: cannot override from {name}: {parent} is not a table")
                break
            node = nxt
        else:
            node[keys[-1]] = value
            origins[".".join(keys)] = name


def _unknown(path: str, key: str, value: Any, allowed: list[str], venue: str | None = None) -> str:
    if is_secret_name(key):
        return _secret_line(path, key, venue)
    hint = _suggest(key, allowed) or f" (allowed: {', '.join(allowed)})"
    return f"{path}: unknown key{hint}"


def _build_section(cls: type, raw: Any, path: str, problems: list[str], bad: set[str], **extra: Any) -> Any:
    if not isinstance(raw, dict):
        problems.append(f"{path} = {_show(raw)}: must be a table, written [{path}]")
        bad.add(path)
        return None
    known = {f.name: f for f in fields(cls) if not f.metadata["derived"]}
    values: dict[str, Any] = {}
    reported: list[str] = []
    for k, v in raw.items():
        p = f"{path}.{k}"
        if k not in known:
            problems.append(_unknown(p, k, v, list(known), extra.get("name")))
            continue
        try:
            values[k] = known[k].metadata["parse"](p, v)
        except _Bad as e:
            problems.extend(e.lines)
            reported.append(p)
    bad.update(reported)
    try:
        return cls(**values, **extra)  # bad values fall back to defaults so cross-field checks can still run
    except ConfigError as e:  # a default derived from a bad value: report only what is new
        problems.extend(x for x in e.problems if not any(x.startswith(p + " ") for p in reported))
        bad.add(path)
        return None


def _cross_problems(
    scanner: ScannerConfig,
    venues: Mapping[str, VenueConfig],
    execution: ExecutionConfig,
    risk: RiskConfig,
    store: StoreConfig,
    bad: set[str],
) -> list[str]:
    """Checks that span fields; skipped where a field they rely on is already reported as bad."""
    lines: list[str] = []
    known = list(venues)
    if "scanner.venues" not in bad and "scanner" not in bad:
        for path, table in (
            ("execution.paper_balances", execution.paper_balances),
            ("risk.min_balances", risk.min_balances),
        ):
            listed = " (venues: " + ", ".join(known) + ")"
            lines += [
                f"{path}.{n}: not a configured venue{_suggest(n, known) or listed}" for n in table if n not in venues
            ]
        if execution.mode == "live":
            for name in scanner.venues:
                if name in venues and f"venues.{name}" not in bad:
                    lines += _live_problems(venues[name])
    if store.path == store.paper_path:
        lines.append(
            f"store.paper_path = {_show(store.paper_path)}: must differ from store.path "
            "(paper and live journals are separate files)"
        )
    if store.url and store.url == store.paper_url:
        lines.append("store.paper_url: must differ from store.url (paper and live journals are separate databases)")
    return lines


def _live_problems(v: VenueConfig) -> list[str]:
    required = required_credentials(v.ccxt_id)
    have = v.credentials.as_ccxt()
    env_names = {
        "apiKey": v.api_key_env,
        "secret": v.secret_env,
        "password": f"{v.password_env} (API passphrase)",
    }
    missing = [env_names[k] for k in CREDENTIAL_KEYS if k in required and k not in have]
    lines = []
    if missing:
        lines.append(
            f'venues.{v.name}: execution.mode = "live" needs credentials: set {", ".join(missing)} '
            f"in the environment, or give {_SECRETS_HINT}"
        )
    unsupported = [k for k in required if k not in CREDENTIAL_KEYS]
    if unsupported:
        lines.append(
            f'venues.{v.name}: execution.mode = "live": ccxt {v.ccxt_id} needs {", ".join(unsupported)}, '
            "which arb does not support (only apiKey, secret, password)"
        )
    return lines


def _annotate(line: str, origins: dict[str, str]) -> str:
    hits = [p for p in origins if line.startswith(p) and line[len(p) : len(p) + 1] in ("", " ", ".", "[", ":")]
    return f"{line} (from environment {origins[max(hits, key=len)]})" if hits else line


def _build_config(d: Mapping[str, Any], env: Mapping[str, str], source: str, base_dir: Path | None) -> Config:
    raw: dict[str, Any] = copy.deepcopy(dict(d))
    problems: list[str] = []
    origins: dict[str, str] = {}
    bad: set[str] = set()
    _apply_env(raw, env, problems, origins)
    for k, v in raw.items():
        if k not in SECTIONS:
            problems.append(_unknown(k, k, v, list(SECTIONS)))
    built = {s: _build_section(SECTIONS[s], raw.get(s, {}), s, problems, bad) for s in SECTIONS if s != "venues"}
    scanner = built["scanner"] or ScannerConfig()

    from_file = not source.startswith("<")
    base = base_dir or Path.cwd()
    forbidden = _forbidden_roots(base, from_file)

    venues: dict[str, VenueConfig] = {}
    raw_venues = raw.get("venues", {})
    if not isinstance(raw_venues, dict):
        problems.append(f"venues = {_show(raw_venues)}: must be tables written [venues.NAME]")
        bad.add("venues")
        raw_venues = {}
    for name, table in raw_venues.items():
        v = _build_section(VenueConfig, table, f"venues.{name}", problems, bad, name=name)
        if v is not None:
            v, lines = _credentials(v, env, base, forbidden)
            problems += lines
            bad.update({f"venues.{name}"} if lines else set())
            venues[name] = v
        else:
            bad.add(f"venues.{name}")
    if "scanner.venues" not in bad:
        for i, name in enumerate(scanner.venues):
            if name in venues or name in raw_venues:
                continue
            try:
                v = VenueConfig(name=name)
            except ConfigError:
                hint = _suggest(name, [*_ccxt_ids()[1], *raw_venues])
                problems.append(
                    f"scanner.venues[{i}] = {_show(name)}: no [venues.{name}] table and not a "
                    f"ccxt.pro exchange id{hint}"
                )
                bad.add("scanner.venues")
                continue
            venues[name], _ = _credentials(v, env, base, forbidden)

    if built["execution"] and built["risk"] and built["store"]:
        problems += _cross_problems(scanner, venues, built["execution"], built["risk"], built["store"], bad)
    if built["rebalance"] and "scanner.venues" not in bad:
        problems += built["rebalance"].venue_problems(venues)
    if problems:
        prefix = f"{source}: " if from_file else ""
        raise ConfigError([prefix + _annotate(line, origins) for line in problems])
    return Config(
        scanner=scanner,
        venues=venues,
        execution=built["execution"],
        risk=built["risk"],
        notify=built["notify"],
        store=built["store"],
        rebalance=built["rebalance"] or RebalanceConfig(),
        api=built["api"] or ApiConfig(),
        scale=built["scale"] or ScaleConfig(),
        source=source,
    )
