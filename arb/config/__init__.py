"""Configuration: TOML → frozen dataclasses, validated with one-line errors; secrets from the environment.

Each field declares its documentation (``metadata["doc"]``) and its check (``metadata["parse"]``) where
it is defined, so ``config.example.toml`` and ``tests/test_docs.py`` stay in step with the code.
Every problem is one line naming the key path, the bad value and what is allowed; all problems
are collected and raised together as :class:`arb.core.errors.ConfigError`.

Any key can be overridden from the environment as ``ARB__SECTION__KEY`` (e.g.
``ARB__SCANNER__MIN_NET_BPS=3``, ``ARB__VENUES__OKX__TAKER_FEE_BPS=8``); the value is read as a TOML
value when it parses, else as a string. Credentials come from ``ARB_<NAME>_API_KEY``-style variables
or a 0600 ``secrets_file``; they never appear in ``repr``, ``str`` or :func:`redact` output.

Layout: :mod:`._parse` value checks and problem lines, :mod:`.sections` the section dataclasses,
:mod:`.secrets` credentials and :func:`redact`, :mod:`.load` :class:`Config`, overrides and cross-field checks.
"""

from arb.config._parse import SECRET_KEYS, Parse, required_credentials
from arb.config.load import ENV_PREFIX, Config, default_config, load_config
from arb.config.secrets import CREDENTIAL_KEYS, REDACTED, Credentials, redact
from arb.config.sections import (
    DEFAULT_SYMBOLS,
    DEFAULT_VENUES,
    MODES,
    ON_PARTIAL,
    SECTIONS,
    ExecutionConfig,
    NotifyConfig,
    RiskConfig,
    ScannerConfig,
    StoreConfig,
    VenueConfig,
)

__all__ = [
    "CREDENTIAL_KEYS",
    "DEFAULT_SYMBOLS",
    "DEFAULT_VENUES",
    "ENV_PREFIX",
    "MODES",
    "ON_PARTIAL",
    "REDACTED",
    "SECRET_KEYS",
    "SECTIONS",
    "Config",
    "Credentials",
    "ExecutionConfig",
    "NotifyConfig",
    "Parse",
    "RiskConfig",
    "ScannerConfig",
    "StoreConfig",
    "VenueConfig",
    "default_config",
    "load_config",
    "redact",
    "required_credentials",
]
