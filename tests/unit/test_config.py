"""arb.config: validation (one line per problem, all at once), env overrides, secrets and redaction, CLI."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.cli import main
from arb.config import Config, Credentials, default_config, load_config, redact
from arb.core.errors import ConfigError
from arb.core.model import Fee, Limits

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
SECRET = "s3cr3t-VALUE-123"
TOKEN = "bot123456:TOKENabcdef"

BASE: dict[str, Any] = {
    "scanner": {"symbols": ["BTC/USDT", "ETH/USDT"], "venues": ["okx", "binance"]},
    "venues": {"okx": {"fee_currency": "received"}},
}
# Keys for every venue in BASE, for live-mode tests.
LIVE_ENV = {
    "ARB_OKX_API_KEY": "k-okx",
    "ARB_OKX_SECRET": SECRET,
    "ARB_OKX_PASSWORD": "pass-okx",
    "ARB_BINANCE_API_KEY": "k-bin",
    "ARB_BINANCE_SECRET": SECRET,
}


def with_(*edits: tuple[str, Any]) -> dict[str, Any]:
    """BASE with dotted-path edits applied, e.g. with_(("scanner.min_net_bps", -1))."""
    d = copy.deepcopy(BASE)
    for dotted, value in edits:
        *parents, last = dotted.split(".")
        node = d
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return d


def problems(d: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        Config.from_dict(d, env=env or {})
    return info.value.problems


# (id, config, env, substrings that must all appear in one problem line)
BAD: list[tuple[str, dict[str, Any], dict[str, str], list[str]]] = [
    (
        "money-not-a-number",
        with_(("scanner.min_net_bps", "abc")),
        {},
        ['scanner.min_net_bps = "abc"', ">= 0"],
    ),
    (
        "money-negative",
        with_(("scanner.min_net_bps", -1)),
        {},
        ["scanner.min_net_bps = -1: must be a number >= 0"],
    ),
    ("money-zero-notional", with_(("scanner.max_notional", 0)), {}, ["scanner.max_notional = 0", "> 0"]),
    ("money-bool", with_(("risk.daily_loss_limit", True)), {}, ["risk.daily_loss_limit = true"]),
    ("money-nan", with_(("scanner.slippage_bps", "nan")), {}, ["scanner.slippage_bps"]),
    ("money-inf", with_(("risk.max_exposure_per_asset", float("inf"))), {}, ["risk.max_exposure_per_asset"]),
    ("min-profit-negative", with_(("scanner.min_net_profit", "-0.1")), {}, ["scanner.min_net_profit"]),
    (
        "staleness-zero",
        with_(("scanner.max_book_age_ms", 0)),
        {},
        ["scanner.max_book_age_ms = 0", "integer > 0"],
    ),
    ("staleness-negative", with_(("scanner.max_book_age_ms", -5)), {}, ["scanner.max_book_age_ms"]),
    ("int-as-float", with_(("scanner.episode_gap_ms", 1.5)), {}, ["scanner.episode_gap_ms = 1.5", "integer"]),
    ("int-as-bool", with_(("notify.heartbeat_s", True)), {}, ["notify.heartbeat_s"]),
    (
        "unknown-venue-id",
        with_(("venues.foo", {"ccxt_id": "okxx"})),
        {},
        ["venues.foo.ccxt_id", "ccxt.exchanges", 'did you mean "okx"'],
    ),
    (
        "unknown-plain-venue",
        with_(("scanner.venues", ["okx", "krakenx"])),
        {},
        ["scanner.venues[1]", "kraken"],
    ),
    (
        "venue-without-pro",
        with_(("venues.bf", {"ccxt_id": "bitflyer"})),
        {},
        ["venues.bf.ccxt_id", "ccxt.pro"],
    ),
    (
        "unknown-key",
        with_(("scanner.min_net_bp", 3)),
        {},
        ["scanner.min_net_bp", 'did you mean "min_net_bps"'],
    ),
    ("unknown-venue-key", with_(("venues.okx.taker_fee", 8)), {}, ["venues.okx.taker_fee", "taker_fee_bps"]),
    ("unknown-section", with_(("scaner", {})), {}, ["scaner", 'did you mean "scanner"']),
    ("literal-secret", with_(("venues.okx.secret", SECRET)), {}, ["venues.okx.secret", "ARB_OKX_SECRET"]),
    ("literal-api-key", with_(("venues.okx.api_key", SECRET)), {}, ["venues.okx.api_key", "ARB_OKX_API_KEY"]),
    (
        "secret-in-options",
        with_(("venues.okx.options", {"apiKey": SECRET})),
        {},
        ["venues.okx.options.apiKey", "environment variable", "secrets_file"],
    ),
    (
        "uid-in-options",
        with_(("venues.okx.options", {"options": {"uid": "1"}})),
        {},
        ["venues.okx.options.options.uid"],
    ),
    (
        "live-without-keys",
        with_(("execution.mode", "live")),
        {},
        ["venues.binance", "ARB_BINANCE_API_KEY", "ARB_BINANCE_SECRET"],
    ),
    (
        "okx-live-without-passphrase",
        with_(("execution.mode", "live")),
        {k: v for k, v in LIVE_ENV.items() if k != "ARB_OKX_PASSWORD"},
        ["venues.okx", "ARB_OKX_PASSWORD"],
    ),
    (
        "duplicate-symbols",
        with_(("scanner.symbols", ["BTC/USDT", "ETH/USDT", "BTC/USDT"])),
        {},
        ["scanner.symbols[2]", "duplicate"],
    ),
    (
        "duplicate-venues",
        with_(("scanner.venues", ["okx", "binance", "okx"])),
        {},
        ["scanner.venues[2]", "duplicate"],
    ),
    ("single-venue", with_(("scanner.venues", ["okx"])), {}, ["scanner.venues", "at least 2"]),
    ("empty-symbols", with_(("scanner.symbols", [])), {}, ["scanner.symbols = []"]),
    ("bad-symbol", with_(("scanner.symbols", ["BTCUSDT"])), {}, ["scanner.symbols[0]", "BASE/QUOTE"]),
    ("derivative-symbol", with_(("scanner.symbols", ["BTC/USDT:USDT"])), {}, ["scanner.symbols[0]", "spot"]),
    (
        "bad-mode",
        with_(("execution.mode", "yolo")),
        {},
        ['execution.mode = "yolo"', '"alert", "paper", "live"'],
    ),
    ("bad-on-partial", with_(("execution.on_partial", "ignore")), {}, ["execution.on_partial"]),
    (
        "fee-currency-bnb",
        with_(("venues.okx.fee_currency", "BNB")),
        {},
        ['venues.okx.fee_currency = "BNB"', "third-currency"],
    ),
    (
        "taker-fee-too-big",
        with_(("venues.okx.taker_fee_bps", 10000)),
        {},
        ["venues.okx.taker_fee_bps", "< 10000"],
    ),
    ("book-depth-zero", with_(("venues.okx.book_depth", 0)), {}, ["venues.okx.book_depth"]),
    ("bad-env-name", with_(("venues.okx.api_key_env", "ARB OKX")), {}, ["venues.okx.api_key_env"]),
    ("bad-venue-name", with_(("venues.my-okx", {"ccxt_id": "okx"})), {}, ["venues.my-okx", "letters"]),
    ("venue-not-a-table", with_(("venues.okx", 5)), {}, ["venues.okx = 5", "table"]),
    ("section-not-a-table", with_(("risk", 5)), {}, ["risk = 5", "table"]),
    ("confirm-updates-zero", with_(("execution.confirm_updates", 0)), {}, ["execution.confirm_updates"]),
    (
        "depth-multiple-below-one",
        with_(("execution.depth_multiple", "0.5")),
        {},
        ["execution.depth_multiple"],
    ),
    (
        "error-rate-above-one",
        with_(("risk.max_venue_error_rate", 1.5)),
        {},
        ["risk.max_venue_error_rate", "<= 1"],
    ),
    ("error-rate-zero", with_(("risk.max_venue_error_rate", 0)), {}, ["risk.max_venue_error_rate"]),
    (
        "paper-balance-negative",
        with_(("execution.paper_balances", {"okx": {"USDT": -1}})),
        {},
        ["execution.paper_balances.okx.USDT = -1"],
    ),
    (
        "paper-balance-unknown-venue",
        with_(("execution.paper_balances", {"kraken": {"USDT": 1}})),
        {},
        ["execution.paper_balances.kraken", "not a configured venue"],
    ),
    ("min-balances-shape", with_(("risk.min_balances", {"okx": 5})), {}, ["risk.min_balances.okx"]),
    ("notify-url-without-scheme", with_(("notify.urls", [TOKEN])), {}, ["notify.urls[0]", "://"]),
    ("notify-urls-not-a-list", with_(("notify.urls", "json://x")), {}, ["notify.urls"]),
    ("journals-collide", with_(("store.paper_path", "arb.db")), {}, ["store.paper_path", "store.path"]),
    ("queue-size-zero", with_(("store.queue_size", 0)), {}, ["store.queue_size"]),
    ("bad-bool", with_(("notify.on_episode_end", "yes")), {}, ["notify.on_episode_end", "true or false"]),
    (
        "env-override-bad-value",
        BASE,
        {"ARB__SCANNER__MIN_NET_BPS": "-3"},
        ["scanner.min_net_bps = -3", "ARB__SCANNER__MIN_NET_BPS"],
    ),
    (
        "env-override-typo",
        BASE,
        {"ARB__SCANNER__MIN_NET_BP": "3"},
        ["scanner.min_net_bp", "ARB__SCANNER__MIN_NET_BP"],
    ),
    (
        "env-override-venue",
        BASE,
        {"ARB__VENUES__OKX__TAKER_FEE_BPS": "lots"},
        ["venues.okx.taker_fee_bps", "ARB__VENUES__OKX__TAKER_FEE_BPS"],
    ),
    ("env-override-malformed", BASE, {"ARB__SCANNER__": "1"}, ["ARB__SCANNER__", "ARB__SECTION__KEY"]),
    ("env-override-section", BASE, {"ARB__RISK": "{max_in_flight = 2}"}, ["ARB__RISK", "ARB__RISK__KEY"]),
    (
        "env-override-secret",
        BASE,
        {"ARB__VENUES__OKX__OPTIONS__SECRET": SECRET},
        ["venues.okx.options.SECRET", "ARB_OKX_SECRET", "ARB__VENUES__OKX__OPTIONS__SECRET"],
    ),
]


@pytest.mark.parametrize(("config", "env", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_names_key_path(config: dict[str, Any], env: dict[str, str], expected: list[str]) -> None:
    lines = problems(config, env)
    assert any(all(s in line for s in expected) for line in lines), lines
    assert all("\n" not in line for line in lines)


def _schema_keys() -> list[tuple[str, str, Any]]:
    """(table, key, field) for every TOML key of every section, read from the config classes themselves."""
    import dataclasses

    cfg = Config.from_dict(copy.deepcopy(BASE), env={})
    out: list[tuple[str, str, Any]] = []
    for top in dataclasses.fields(cfg):
        value = getattr(cfg, top.name)
        tables = {"venues.okx": value["okx"]} if top.name == "venues" else {top.name: value}
        for table, section in tables.items():
            if dataclasses.is_dataclass(section):
                out += [(table, f.name, f) for f in dataclasses.fields(section) if not f.metadata.get("derived")]
    return out


SCHEMA_KEYS = _schema_keys()


def test_schema_has_the_sections_users_configure() -> None:
    # the core sections, and the ones features register in their own modules (arb.config.api, ...)
    assert {t for t, _k, _f in SCHEMA_KEYS} >= {"scanner", "venues.okx", "execution", "risk", "notify", "store", "api"}


@pytest.mark.parametrize(("table", "key", "fld"), SCHEMA_KEYS, ids=[f"{t}.{k}" for t, k, _f in SCHEMA_KEYS])
def test_every_key_is_checked_and_a_wrong_shape_is_named(table: str, key: str, fld: Any) -> None:
    """Each TOML key has a check, and a value of the wrong shape (a list of lists) is one line naming the key."""
    assert fld.metadata.get("parse") is not None, f"{table}.{key} has no check"
    lines = problems(with_((f"{table}.{key}", [[1]])))
    assert any(line.startswith(f"{table}.{key}") for line in lines), lines
    assert all("\n" not in line for line in lines)


def test_secret_values_never_echoed_in_problems() -> None:
    lines = problems(
        with_(
            ("venues.okx.secret", SECRET),
            ("venues.okx.options", {"password": SECRET}),
            ("notify.urls", [TOKEN]),
            ("scanner.token", SECRET),
        )
    )
    assert len(lines) == 4
    assert not any(SECRET in line or TOKEN in line for line in lines), lines


def test_all_problems_reported_at_once() -> None:
    d = with_(
        ("scanner.min_net_bps", -1),
        ("scanner.max_book_age_ms", 0),
        ("execution.mode", "yolo"),
        ("venues.okx.fee_currency", "OKB"),
        ("notify.urls", ["nope"]),
        ("store.flush_ms", 0),
        ("risk.typo", 1),
    )
    lines = problems(d, {"ARB__RISK__MAX_IN_FLIGHT": "0"})
    for key in (
        "scanner.min_net_bps",
        "scanner.max_book_age_ms",
        "execution.mode",
        "venues.okx.fee_currency",
        "notify.urls[0]",
        "store.flush_ms",
        "risk.typo",
        "risk.max_in_flight",
    ):
        assert sum(line.startswith(key) for line in lines) == 1, (key, lines)
    assert len(lines) == 8
    assert str(ConfigError(lines)).count("; ") == 7


def test_bad_value_does_not_cascade_into_derived_defaults() -> None:
    lines = problems(with_(("venues.bar", {"ccxt_id": "nope"})))
    assert len(lines) == 1 and lines[0].startswith('venues.bar.ccxt_id = "nope"'), lines


def test_file_problems_are_prefixed_with_file_name(tmp_path: Path) -> None:
    path = tmp_path / "arb.toml"
    path.write_text('[scanner]\nvenues = ["okx", "binance"]\nmin_net_bps = -1\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.problems == [f"{path}: scanner.min_net_bps = -1: must be a number >= 0"]


@pytest.mark.parametrize(("text", "expected"), [("[scanner\n", "not valid TOML"), (None, "no such file")])
def test_unreadable_file(tmp_path: Path, text: str | None, expected: str) -> None:
    path = tmp_path / "arb.toml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_config(path, env={})


# ---- values, defaults and helpers ----


def test_defaults_are_valid_and_alert_only() -> None:
    cfg = default_config()
    assert cfg.execution.mode == "alert"
    assert cfg.scanner.venues == ("okx", "binance", "bybit")
    assert cfg.scanner.symbols == ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT")
    assert cfg.scanner.max_book_age_ms == 2000 and cfg.scanner.min_net_bps == Decimal("5")
    assert all(not v.credentials.as_ccxt() for v in cfg.venues.values())
    assert load_config(None, env={}) == cfg


def test_money_goes_through_str() -> None:
    cfg = Config.from_dict(
        with_(
            ("scanner.min_net_profit", 0.1),
            ("scanner.slippage_bps", "0.3"),
            ("risk.balance_drift_tolerance", 1),
        ),
        env={},
    )
    assert cfg.scanner.min_net_profit == Decimal("0.1") and str(cfg.scanner.min_net_profit) == "0.1"
    assert cfg.scanner.slippage_bps == Decimal("0.3")
    assert isinstance(cfg.risk.balance_drift_tolerance, Decimal)


def test_limits_venue_fee_and_ccxt_config() -> None:
    env = {"ARB_OKX_API_KEY": "k", "ARB_OKX_SECRET": SECRET, "ARB_OKX_PASSWORD": "p"}
    d = with_(
        ("venues.okx.taker_fee_bps", 8),
        ("venues.okx.fee_currency", "quote"),
        ("venues.okx.options", {"timeout": 5000, "options": {"defaultType": "spot"}}),
        ("scanner.min_net_bps", 3),
        ("scanner.max_notional", "250"),
    )
    cfg = Config.from_dict(d, env=env)
    assert cfg.limits() == Limits(
        min_net_bps=Decimal(3),
        min_net_profit=Decimal("0.5"),
        max_notional=Decimal(250),
        slippage_bps=Decimal(2),
    )
    okx = cfg.venue("okx")
    assert okx.fee_override() == Fee(taker=Decimal("0.0008"), currency="quote", source="config")
    assert cfg.venue("binance").fee_override() is None
    assert okx.ccxt_config(credentials=False) == {
        "enableRateLimit": True,
        "timeout": 5000,
        "options": {"defaultType": "spot"},
    }
    assert okx.ccxt_config(credentials=True) == {
        **okx.ccxt_config(False),
        "apiKey": "k",
        "secret": SECRET,
        "password": "p",
    }
    okx.ccxt_config(False)["options"]["defaultType"] = "swap"  # a copy: the config stays as loaded
    assert okx.options["options"]["defaultType"] == "spot"
    assert [v.name for v in cfg.active_venues()] == ["okx", "binance"]
    with pytest.raises(ConfigError, match=r"venues\.kraken"):
        cfg.venue("kraken")


def test_venue_defaults_derive_from_name() -> None:
    cfg = Config.from_dict(with_(("venues.main", {"ccxt_id": "okx"}), ("scanner.venues", ["main", "binance"])), env={})
    main_venue = cfg.venue("main")
    assert (main_venue.ccxt_id, main_venue.api_key_env, main_venue.secret_env, main_venue.password_env) == (
        "okx",
        "ARB_MAIN_API_KEY",
        "ARB_MAIN_SECRET",
        "ARB_MAIN_PASSWORD",
    )
    assert cfg.venue("binance").ccxt_id == "binance"


def test_frozen_and_checked_on_replace() -> None:
    cfg = default_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.scanner.min_net_bps = Decimal(1)  # type: ignore[misc]
    with pytest.raises(ConfigError, match=r"scanner\.min_net_bps"):
        dataclasses.replace(cfg.scanner, min_net_bps=Decimal(-1))


def test_live_mode_with_all_keys_is_valid() -> None:
    cfg = Config.from_dict(with_(("execution.mode", "live")), env=LIVE_ENV)
    assert cfg.venue("okx").credentials.as_ccxt() == {
        "apiKey": "k-okx",
        "secret": SECRET,
        "password": "pass-okx",
    }
    assert cfg.venue("okx").credentials.source == "env"


def test_paper_mode_needs_no_keys() -> None:
    cfg = Config.from_dict(
        with_(("execution.mode", "paper"), ("execution.paper_balances", {"okx": {"USDT": 1000, "BTC": "0.1"}})),
        env={},
    )
    assert cfg.execution.paper_balances == {"okx": {"USDT": Decimal(1000), "BTC": Decimal("0.1")}}


# ---- environment overrides ----


def test_env_overrides() -> None:
    env = {
        "ARB__SCANNER__MIN_NET_BPS": "3",
        "ARB__VENUES__OKX__TAKER_FEE_BPS": "8",
        "ARB__EXECUTION__MODE": "paper",
        "ARB__SCANNER__SYMBOLS": '["BTC/USDT","ETH/USDT","SOL/USDT"]',
        "ARB__EXECUTION__PAPER_BALANCES__OKX__USDT": "100",
        "ARB__STORE__PATH": "runs/arb.db",
        "ARB__NOTIFY__ON_EPISODE_END": "false",
        "ARB_OKX_API_KEY": "not-an-override",
    }
    cfg = Config.from_dict(BASE, env=env)
    assert cfg.scanner.min_net_bps == Decimal(3)
    assert cfg.venue("okx").taker_fee_bps == Decimal(8)
    assert cfg.execution.mode == "paper"
    assert cfg.scanner.symbols == ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    assert cfg.execution.paper_balances == {"okx": {"USDT": Decimal(100)}}
    assert cfg.store.path == "runs/arb.db"
    assert cfg.notify.on_episode_end is False


def test_env_override_matches_existing_keys_case_insensitively() -> None:
    d = with_(("venues.OkxMain", {"ccxt_id": "okx"}), ("scanner.venues", ["OkxMain", "binance"]))
    cfg = Config.from_dict(d, env={"ARB__VENUES__OKXMAIN__BOOK_DEPTH": "20"})
    assert cfg.venue("OkxMain").book_depth == 20


def test_env_override_can_add_a_venue_table() -> None:
    cfg = Config.from_dict(
        BASE,
        env={
            "ARB__VENUES__BYBIT__FEE_CURRENCY": "quote",
            "ARB__SCANNER__VENUES": '["okx", "binance", "bybit"]',
        },
    )
    assert cfg.venue("bybit").fee_currency == "quote"


def test_from_dict_does_not_mutate_input() -> None:
    d = copy.deepcopy(BASE)
    Config.from_dict(d, env={"ARB__SCANNER__MIN_NET_BPS": "3"})
    assert d == BASE


# ---- secrets files ----


SECRETS_BODY = f'apiKey = "k"\nsecret = "{SECRET}"\npassword = "p"\n'


def secrets_file(directory: Path, mode: int, body: str = SECRETS_BODY) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "okx.toml"
    path.write_text(body)
    path.chmod(mode)
    return path


def config_file(directory: Path, secrets: Path, mode: str = "live") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "arb.toml"
    path.write_text(
        f'[scanner]\nvenues = ["okx", "binance"]\n[execution]\nmode = "{mode}"\n'
        f'[venues.okx]\nsecrets_file = "{secrets}"\n'
    )
    return path


def test_secrets_file_0600_provides_credentials(tmp_path: Path) -> None:
    secrets = secrets_file(tmp_path / "secrets", 0o600)
    cfg = load_config(
        config_file(tmp_path / "cfg", secrets), env={"ARB_BINANCE_API_KEY": "b", "ARB_BINANCE_SECRET": "b"}
    )
    creds = cfg.venue("okx").credentials
    assert creds.as_ccxt() == {"apiKey": "k", "secret": SECRET, "password": "p"}
    assert creds.source == "secrets_file"
    env_wins = load_config(config_file(tmp_path / "cfg", secrets, mode="alert"), env={"ARB_OKX_API_KEY": "env-k"})
    assert env_wins.venue("okx").credentials.as_ccxt()["apiKey"] == "env-k"
    assert env_wins.venue("okx").credentials.source == "env+secrets_file"


@pytest.mark.parametrize(
    ("mode", "where", "expected"),
    [
        (0o644, "outside", "0644"),
        (0o640, "outside", "0640"),
        (0o600, "inside", "inside"),
    ],
)
def test_secrets_file_refused(tmp_path: Path, mode: int, where: str, expected: str) -> None:
    secrets = secrets_file(tmp_path / ("cfg" if where == "inside" else "secrets"), mode)
    with pytest.raises(ConfigError) as info:
        load_config(config_file(tmp_path / "cfg", secrets, mode="alert"), env={})
    assert any("venues.okx.secrets_file" in line and expected in line for line in info.value.problems), info.value


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('api_key = "k"\n', "unknown key 'api_key'"),
        ("apiKey = 5\n", "apiKey must be a non-empty string"),
        ("apiKey = \n", "cannot read it as TOML"),
    ],
)
def test_secrets_file_contents_checked(tmp_path: Path, body: str, expected: str) -> None:
    secrets = secrets_file(tmp_path / "secrets", 0o600, body)
    with pytest.raises(ConfigError) as info:
        load_config(config_file(tmp_path / "cfg", secrets, mode="alert"), env={})
    assert any("venues.okx.secrets_file" in p and expected in p for p in info.value.problems), info.value


def test_missing_secrets_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"venues\.okx\.secrets_file .*no such file"):
        load_config(config_file(tmp_path / "cfg", tmp_path / "nope.toml", mode="alert"), env={})


# ---- redaction ----


def secret_config(tmp_path: Path) -> Config:
    d = with_(("execution.mode", "live"), ("notify.urls", [f"tgram://{TOKEN}/12345", f"mailto://me:{SECRET}@x.org"]))
    return Config.from_dict(d, env=LIVE_ENV)


def assert_no_secrets(text: str) -> None:
    for s in (SECRET, TOKEN, "k-okx", "pass-okx", "k-bin"):
        assert s not in text


def test_credentials_repr_hides_values() -> None:
    creds = Credentials(api_key="k-okx", secret=SECRET, password=None, source="env")
    for text in (repr(creds), str(creds), f"{creds}"):
        assert_no_secrets(text)
        assert "apiKey=***" in text and "password=<unset>" in text


def test_config_repr_and_redact_hide_secrets(tmp_path: Path) -> None:
    cfg = secret_config(tmp_path)
    assert_no_secrets(repr(cfg))
    assert_no_secrets(str(cfg.venue("okx")))
    data = redact(cfg)
    assert_no_secrets(json.dumps(data))
    assert data["notify"]["urls"] == ["tgram://REDACTED", "mailto://REDACTED"]
    assert data["scanner"]["min_net_bps"] == "5"
    assert data["venues"]["okx"]["api_key_env"] == "ARB_OKX_API_KEY"  # variable names are not secrets


def test_redact_plain_dict() -> None:
    raw = {
        "venues": {"okx": {"apiKey": SECRET, "options": {"password": SECRET, "timeout": 5}}},
        "notify": {"urls": [f"json://{TOKEN}@host/x"]},
        "other": {"url": f"https://u:{SECRET}@h/p"},
    }
    data = redact(raw)
    assert_no_secrets(json.dumps(data))
    assert data["venues"]["okx"] == {"apiKey": "REDACTED", "options": {"password": "REDACTED", "timeout": 5}}
    assert raw["venues"]["okx"]["apiKey"] == SECRET  # input untouched


@pytest.mark.parametrize("as_json", [False, True])
def test_config_show_hides_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "arb.toml"
    path.write_text(f'[execution]\nmode = "live"\n[notify]\nurls = ["tgram://{TOKEN}/1"]\n')
    for k, v in {**LIVE_ENV, "ARB_BYBIT_API_KEY": "k-bin", "ARB_BYBIT_SECRET": SECRET}.items():
        monkeypatch.setenv(k, v)  # the CLI reads the real environment
    assert main(["config", "show", *(["--json"] if as_json else []), str(path)]) == 0
    out = capsys.readouterr().out
    assert_no_secrets(out)
    assert "tgram://REDACTED" in out


def test_show_toml_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "arb.toml"
    path.write_text(
        '[scanner]\nmin_net_profit = "0.12345678901234567890123"\nslippage_bps = 0.1\n'
        '[venues.okx]\ntaker_fee_bps = 8\noptions = { timeout = 5000, "odd name" = { a = [1, 2] } }\n'
        '[execution]\npaper_balances = { okx = { USDT = 10, BTC = "0.5" } }\n'
    )
    assert main(["config", "show", str(path)]) == 0
    shown = tmp_path / "shown.toml"
    shown.write_text(capsys.readouterr().out)
    assert load_config(shown, env={}) == load_config(path, env={})


# ---- the CLI: exit codes through arb.cli:main and the console script ----


def test_check_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {EXAMPLE} (3 venues, 5 symbols, mode alert)"
    bad = tmp_path / "bad.toml"
    bad.write_text('[scanner]\nmax_book_age_ms = 0\n[execution]\nmode = "yolo"\n')
    assert main(["config", "check", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"arb: config: {bad}: scanner.max_book_age_ms = 0: must be an integer > 0",
        f'arb: config: {bad}: execution.mode = "yolo": must be one of "alert", "paper", "live"',
    ]


def test_check_missing_argument_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check"]) == 2


def run_arb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "arb"
    cmd = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import sys; from arb.cli import main; sys.exit(main())"]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARB_")}
    return subprocess.run([*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.slow
def test_console_script_check_example(tmp_path: Path) -> None:
    done = run_arb("config", "check", str(EXAMPLE), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"ok: {EXAMPLE} (3 venues, 5 symbols, mode alert)")


@pytest.mark.slow
def test_console_script_bad_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scanner]\nvenues = ["okx"]\n[venues.okx]\nfee_currency = "BNB"\n')
    done = run_arb("config", "check", str(bad), cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "arb: config: " in done.stderr
    assert "scanner.venues" in done.stderr and "venues.okx.fee_currency" in done.stderr
    assert done.stdout == ""
