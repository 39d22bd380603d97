"""Issue 12 item 8: credential-bearing ccxt options are refused in any spelling; the log boundary masks
every known credential and every credential-shaped header or parameter, in messages and tracebacks."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from arb.cli.logs import make_handler
from arb.config import Config, redact
from arb.core.errors import ConfigError
from arb.redaction import MASK, add_secrets, add_url_secrets, is_secret_name, scrub

VALUE = "Zq9-literal-credential-77"  # never allowed to show up anywhere


def venue_with(options: dict[str, Any]) -> dict[str, Any]:
    return {"scanner": {"venues": ["okx", "binance"]}, "venues": {"okx": {"options": options}}}


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"login": VALUE}, "venues.okx.options.login"),
        ({"headers": {"OK-ACCESS-KEY": VALUE}}, "venues.okx.options.headers.OK-ACCESS-KEY"),
        ({"headers": {"ok_access_key": VALUE}}, "venues.okx.options.headers.ok_access_key"),
        ({"headers": {"OK-ACCESS-PASSPHRASE": VALUE}}, "venues.okx.options.headers.OK-ACCESS-PASSPHRASE"),
        ({"headers": {"OK-ACCESS-SIGN": VALUE}}, "venues.okx.options.headers.OK-ACCESS-SIGN"),
        ({"headers": {"X-MBX-APIKEY": VALUE}}, "venues.okx.options.headers.X-MBX-APIKEY"),
        ({"headers": {"x-mbx-apikey": VALUE}}, "venues.okx.options.headers.x-mbx-apikey"),
        ({"headers": {"X-BAPI-API-KEY": VALUE}}, "venues.okx.options.headers.X-BAPI-API-KEY"),
        ({"headers": {"X_BAPI_SIGN": VALUE}}, "venues.okx.options.headers.X_BAPI_SIGN"),
        ({"headers": {"Authorization": f"Bearer {VALUE}"}}, "venues.okx.options.headers.Authorization"),
        ({"options": {"api_key": VALUE}}, "venues.okx.options.options.api_key"),
        ({"options": {"Api-Key": VALUE}}, "venues.okx.options.options.Api-Key"),
        ({"params": {"privateKey": VALUE}}, "venues.okx.options.params.privateKey"),
        ({"options": {"deep": {"deeper": {"passphrase": VALUE}}}}, "venues.okx.options.options.deep.deeper.passphrase"),
        ({"uid": VALUE}, "venues.okx.options.uid"),
        ({"token": VALUE}, "venues.okx.options.token"),
        ({"headers": [{"X-MBX-APIKEY": VALUE}]}, "venues.okx.options.headers[0].X-MBX-APIKEY"),
        ({"apiKey": 12345678}, "venues.okx.options.apiKey"),  # whatever the value's type
        ({"headers": {"Set-Cookie": VALUE}}, "venues.okx.options.headers.Set-Cookie"),
        ({"urls": {"api": {"rest": f"https://user:{VALUE}@127.0.0.1:1"}}}, "venues.okx.options.urls.api.rest"),
        ({"urls": {"api": {"rest": f"http://127.0.0.1:1/api?apiKey={VALUE}"}}}, "venues.okx.options.urls.api.rest"),
    ],
)
def test_credential_options_refused_in_any_spelling(options: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_dict(venue_with(options), env={})
    (line,) = info.value.problems
    assert line.startswith(path + ":"), line
    assert "ARB_OKX_" in line and "environment" in line and "0600" in line and "secrets_file" in line
    assert VALUE not in line and "12345678" not in line and "\n" not in line


def test_ccxt_verbose_mode_refused() -> None:
    """ccxt's verbose mode print()s signed requests to stdout, where no log handler can redact them."""
    with pytest.raises(ConfigError) as info:
        Config.from_dict(venue_with({"verbose": True}), env={})
    (line,) = info.value.problems
    assert line.startswith("venues.okx.options.verbose = true:") and "arb -vv" in line
    Config.from_dict(venue_with({"verbose": False}), env={})


def test_ordinary_ccxt_options_pass() -> None:
    options = {
        "timeout": 1000,
        "rateLimit": 10,
        "urls": {"api": {"rest": "http://127.0.0.1:1", "ws": {"ws-api": {"spot": "ws://127.0.0.1:1/ws"}}}},
        "options": {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "recvWindow": 5000,
            "enableUnifiedAccount": None,
            "createOrder": "privatePostTradeOrder",
        },
        "has": {"fetchCurrencies": False},
        "headers": {"User-Agent": "arb"},
    }
    cfg = Config.from_dict(venue_with(options), env={})
    assert cfg.venue("okx").options["options"]["recvWindow"] == 5000


@pytest.mark.parametrize(
    "name",
    [
        "apiKey",
        "api_key",
        "API-KEY",
        "secret",
        "password",
        "passphrase",
        "uid",
        "privateKey",
        "token",
        "login",
        "OK-ACCESS-KEY",
        "OK-ACCESS-SIGN",
        "OK-ACCESS-PASSPHRASE",
        "X-MBX-APIKEY",
        "X-BAPI-API-KEY",
        "X-BAPI-SIGN",
        "signature",
        "Authorization",
        "KC-API-KEY",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "api_key_env",
        "secret_env",
        "password_env",
        "secrets_file",
        "timeout",
        "recvWindow",
        "urls",
        "headers",
        "OK-ACCESS-TIMESTAMP",
        "X-BAPI-TIMESTAMP",
        "clientOrderId",
        "symbol",
        "defaultType",
    ],
)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_is_the_one_function_for_config_dumps() -> None:
    raw = {"venues": {"okx": {"options": {"headers": {"X-MBX-APIKEY": VALUE, "User-Agent": "arb"}, "login": VALUE}}}}
    data = redact(raw)
    assert VALUE not in json.dumps(data)
    assert data["venues"]["okx"]["options"]["headers"] == {"X-MBX-APIKEY": MASK, "User-Agent": "arb"}
    add_secrets("registered-value-for-redact")
    assert redact({"x": {"note": "has registered-value-for-redact in it"}}) == {"x": {"note": f"has {MASK} in it"}}


# ---- the log boundary ----

KEY, SECRET, PASSPHRASE = "okx-unit-key-5c1d", "okx-unit-secret-8e2f", "Unit/Pass phrase+3"


@pytest.fixture
def log_text() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    add_secrets(KEY, SECRET, PASSPHRASE)
    stream = io.StringIO()
    handler = make_handler(stream)
    loggers = [logging.getLogger(n) for n in ("ccxt.base.exchange", "aiohttp.client", "apprise", "arb.test")]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
        lg.propagate = False
    yield loggers[-1], stream
    for lg in loggers:
        lg.removeHandler(handler)
        lg.setLevel(logging.NOTSET)
        lg.propagate = True


def test_ccxt_request_headers_masked(log_text: tuple[logging.Logger, io.StringIO]) -> None:
    _, stream = log_text
    ccxt_log = logging.getLogger("ccxt.base.exchange")
    headers = {
        "OK-ACCESS-KEY": "unregistered-key-1",
        "OK-ACCESS-SIGN": "c2lnbmF0dXJl+/==",
        "OK-ACCESS-TIMESTAMP": "2026-01-01T00:00:00.000Z",
        "OK-ACCESS-PASSPHRASE": "unregistered-pp",
        "X-MBX-APIKEY": "unregistered-key-2",
        "X-BAPI-API-KEY": "unregistered-key-3",
        "X-BAPI-SIGN": "abcdef0123",
        "Authorization": "Bearer unregistered-token-4",
    }
    ccxt_log.debug(
        "%s %s, Request: %s %s",
        "GET",
        "http://127.0.0.1/api/v3/account?timestamp=1&signature=deadbeef01",
        headers,
        '{"apiKey":"unregistered-key-5","secret":"unregistered-6"}',
    )
    text = stream.getvalue()
    leaks = (
        "unregistered-key-1",
        "c2lnbmF0dXJl",
        "unregistered-pp",
        "unregistered-key-2",
        "unregistered-key-3",
        "abcdef0123",
        "unregistered-token-4",
        "deadbeef01",
        "unregistered-key-5",
        "unregistered-6",
    )
    for leak in leaks:
        assert leak not in text, text
    assert "2026-01-01T00:00:00.000Z" in text and "GET" in text and "timestamp=1" in text  # the rest survives


def test_known_secrets_masked_everywhere(log_text: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = log_text
    encoded = (quote(PASSPHRASE, safe=""), quote_plus(PASSPHRASE))
    log.info("plain %s and %s and url-encoded %s %s", KEY, f"x{SECRET}y", *encoded)
    logging.getLogger("aiohttp.client").debug("frame %r", {"op": "login", "args": [{"a": KEY, "b": PASSPHRASE}]})
    add_url_secrets("tgram://123456789:AAH-bot-token-XYZ/987654")
    logging.getLogger("apprise").debug("Notifying tgram://123456789:AAH-bot-token-XYZ/987654")
    text = stream.getvalue()
    for leak in (KEY, SECRET, PASSPHRASE, "AAH-bot-token-XYZ", quote(PASSPHRASE, safe=""), quote_plus(PASSPHRASE)):
        assert leak not in text, text
    assert text.count(MASK) >= 7


def test_exception_messages_and_tracebacks_masked(log_text: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = log_text
    try:
        raise RuntimeError(f"okx GET http://u:{SECRET}@host/x failed with key {KEY}")
    except RuntimeError:
        log.exception("call failed")
    text = stream.getvalue()
    assert "Traceback" in text and "RuntimeError" in text
    assert SECRET not in text and KEY not in text


def test_ordinary_lines_untouched() -> None:
    line = "order.sent venue=okx client_id=arb1x2 amount=0.01 price=64000.1 symbol=BTC/USDT"
    assert scrub(line) == line
    assert scrub("venues.okx.options.headers.OK-ACCESS-KEY: not allowed") == (
        "venues.okx.options.headers.OK-ACCESS-KEY: not allowed"
    )


def test_short_values_are_not_registered() -> None:
    add_secrets("", "1", "ab")  # not secrets: masking them would wreck every line
    assert scrub("a 1 ab b") == "a 1 ab b"


def test_reprs_hold_no_credentials() -> None:
    token = "tg-bot-token-91x7"
    env = {"ARB_OKX_API_KEY": "repr-key-4b1", "ARB_OKX_SECRET": "repr-secret-7c2", "ARB_OKX_PASSWORD": "repr-pp-9d3"}
    cfg = Config.from_dict(
        {
            "execution": {"mode": "live"},
            "scanner": {"venues": ["okx", "okx2"]},
            "venues": {
                "okx2": {
                    "ccxt_id": "okx",
                    "api_key_env": "ARB_OKX_API_KEY",
                    "secret_env": "ARB_OKX_SECRET",
                    "password_env": "ARB_OKX_PASSWORD",
                }
            },
            "notify": {"urls": [f"tgram://{token}/1"]},
        },
        env=env,
    )
    okx = cfg.venue("okx")
    assert okx.credentials.as_ccxt()["apiKey"] == "repr-key-4b1"  # loaded, and yet:
    for text in (
        repr(cfg),
        str(cfg),
        repr(okx),
        repr(okx.credentials),
        str(okx.credentials),
        repr(cfg.notify),
        json.dumps(redact(cfg)),
    ):
        for value in (*env.values(), token):
            assert value not in text, text


def test_scrubbing_stream_masks_what_is_printed() -> None:
    from arb.cli.logs import ScrubbingStream

    add_secrets("printed-secret-5e6f")
    inner = io.StringIO()
    out = ScrubbingStream(inner)
    assert out.write("x printed-secret-5e6f y\n") == len("x printed-secret-5e6f y\n")
    out.writelines(["apiKey=abc\n"])
    assert inner.getvalue() == f"x {MASK} y\napiKey={MASK}\n"
    assert out.getvalue() == inner.getvalue()  # everything else is the wrapped stream's


def test_credentials_from_a_secrets_file_are_masked_too(tmp_path: Any) -> None:
    secrets = tmp_path / "outside" / "okx.toml"
    secrets.parent.mkdir()
    secrets.write_text('apiKey = "file-key-31ab"\nsecret = "file-secret-8c0d"\npassword = "file-pass-77e1"\n')
    secrets.chmod(0o600)
    cfg = Config.from_dict({"venues": {"okx": {"secrets_file": str(secrets)}}}, env={}, base_dir=tmp_path / "cfg")
    assert cfg.venue("okx").credentials.source == "secrets_file"
    line = "signed with file-key-31ab / file-secret-8c0d / file-pass-77e1"
    assert scrub(line) == f"signed with {MASK} / {MASK} / {MASK}"
