"""Logging for the `arb` command: one stderr handler whose every line passes through :func:`arb.redaction.scrub`.

:func:`setup_logging` (called once by ``arb`` with its ``-v`` count) installs the handler on the root
logger, so it sees arb's own loggers and every library's (ccxt logs each request with its signed
headers at DEBUG; aiohttp; apprise, which prints full notification URLs at DEBUG). A
:class:`RedactingFilter` masks the message, its arguments, the exception text and the stack of each
record before any formatter sees it; :class:`RedactingFormatter` scrubs the finished line once more.
Uncaught exceptions (``sys.excepthook``) and warnings go through the same path, and ``sys.stdout`` /
``sys.stderr`` are wrapped in a :class:`ScrubbingStream`, so whatever else prints (click, rich) is
scrubbed too. Credentials are registered when the config is built; values of environment variables
named like credentials (``ARB_OKX_API_KEY``, ``…_SECRET``, ``…_PASSWORD``, …) are registered here as
well, so commands that never load a config still cannot print them.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import IO, Any

from arb.redaction import add_secrets, is_secret_name, scrub

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_SHELL_NAMES = frozenset({"PWD", "OLDPWD"})  # the shell's directories, not passwords: masking them hides every path
_MIN_ENV_SECRET_LEN = 6  # an environment value shorter than this is a flag, not a credential


class RedactingFilter(logging.Filter):
    """Masks credentials in a record's message, arguments, exception text and stack (in place)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, scrubbed
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose output is scrubbed once more (asctime, names, anything a filter did not see)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged, not what it was at set-up: rich's live
    view swaps in a proxy that prints each line above the view, so log lines never scramble it."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


class ScrubbingStream:
    """A text stream whose ``write`` scrubs credentials; everything else is the wrapped stream's."""

    def __init__(self, inner: IO[str]) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(scrub(text) if isinstance(text, str) else text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def make_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler (the current stderr by default) that never writes a credential."""
    handler = logging.StreamHandler(stream) if stream is not None else CurrentStderrHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(RedactingFormatter(FORMAT))
    return handler


def register_environment_secrets(env: dict[str, str] | None = None) -> None:
    """Register the values of environment variables whose names say they hold credentials."""
    env = dict(os.environ) if env is None else env
    add_secrets(
        *(v for k, v in env.items() if is_secret_name(k) and k not in _SHELL_NAMES and len(v) >= _MIN_ENV_SECRET_LEN)
    )


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(scrub("".join(traceback.format_exception(kind, value, tb))))


def setup_logging(
    verbose: int = 0, stream: IO[str] | None = None, *, wrap_streams: bool = True
) -> logging.Handler | None:
    """Root logging for one `arb` process: WARNING, INFO at -v, DEBUG at -vv; every line redacted.

    With ``wrap_streams``, ``sys.stdout`` and ``sys.stderr`` become :class:`ScrubbingStream` s.
    Returns the handler installed. Like :func:`logging.basicConfig`, it leaves a root logger that already
    has someone else's handlers (an embedding application, pytest) alone, except that those handlers get
    the :class:`RedactingFilter` too; then it returns None.
    """
    register_environment_secrets()
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_arb_redacting", False)]
    for other in root.handlers:
        if other not in ours and not any(isinstance(f, RedactingFilter) for f in other.filters):
            other.addFilter(RedactingFilter())
    if len(ours) < len(root.handlers):
        return None
    for old in ours:
        root.removeHandler(old)
    level = logging.WARNING - 10 * min(max(verbose, 0), 2)
    handler = make_handler(stream)
    handler._arb_redacting = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("apprise").setLevel(max(level, logging.INFO))  # apprise prints whole URLs at DEBUG
    logging.captureWarnings(True)
    sys.excepthook = _excepthook
    for name in ("stdout", "stderr") if wrap_streams else ():  # whatever else prints (click, rich) is scrubbed
        current = getattr(sys, name)
        if current is not None and not isinstance(current, ScrubbingStream):
            setattr(sys, name, ScrubbingStream(current))
    return handler
