"""`arb` command line. Thin: each command parses options and calls into the library.

Exit codes: 0 success, 1 runtime failure (ArbError), 2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import sys

import click

from arb import __version__, native
from arb.core.errors import ArbError, ConfigError
from arb.redaction import scrub
from arb.store.lock import JournalLocked

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="arb", message=f"%(prog)s, version %(version)s (evaluator: {native.STATUS})"
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Cross-exchange arbitrage scanner and executor for ccxt.

    \b
    Uses:
      arb demo                 scanner against bundled loopback exchanges (no keys)
      arb scan --config FILE   alert-only scan of real venues (public data only)
      arb config check FILE    validate a configuration file
      arb sim                  run the loopback exchanges and print their ccxt configs
    """
    from arb.cli.logs import setup_logging

    # every log line, from every library, is redacted (arb.redaction.scrub); so is stdout/stderr, except for
    # `arb sim`, whose job is to print the loopback venues' own demo keys
    setup_logging(verbose, wrap_streams=ctx.invoked_subcommand != "sim")


def _register() -> None:
    # Command families live in their own modules; cli.py only wires them.
    from arb.cli.config import config_group
    from arb.cli.opportunities import opportunities_command
    from arb.cli.scan import demo_command, scan_command
    from arb.cli.trade import doctor_command, kill_command, resume_command, run_command

    cli.add_command(config_group)
    cli.add_command(scan_command)
    cli.add_command(demo_command)
    cli.add_command(opportunities_command)
    cli.add_command(run_command)
    cli.add_command(kill_command)
    cli.add_command(resume_command)
    cli.add_command(doctor_command)
    from arb.cli.backtest import backtest_command
    from arb.cli.rebalance import rebalance_command
    from arb.cli.record import record_command
    from arb.cli.review import report_command

    cli.add_command(report_command)
    cli.add_command(record_command)
    cli.add_command(rebalance_command)
    cli.add_command(backtest_command)
    from arb.cli.ctl import ctl_group

    cli.add_command(ctl_group)
    try:
        from exchanges.sim.cli import sim_command
    except ImportError:  # simulator not built yet
        pass
    else:
        cli.add_command(sim_command)


_register()


def prog() -> str:
    """How to run arb again, for the hints commands print: ``arb`` when that is on PATH and is this arb,
    else the script as the user typed it (README's ``.venv/bin/arb``), relative to the current directory."""
    import os
    import shlex
    import shutil

    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) != "arb":  # python -m arb.cli, an embedding program: the console script's name
        return "arb"
    found = shutil.which("arb")
    if found and os.path.realpath(found) == os.path.realpath(argv0):
        return "arb"
    path = os.path.relpath(argv0) if os.path.isabs(argv0) else argv0
    if path.startswith(".."):
        path = os.path.abspath(argv0)
    elif os.sep not in path:
        path = f".{os.sep}{path}"
    return shlex.quote(path)


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for e in group.exceptions:
        out.extend(_leaves(e) if isinstance(e, BaseExceptionGroup) else [e])
    return out


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _usage_line(e: click.UsageError) -> str:
    """A usage error as one line naming the command and where help is (click prints three or four)."""
    where = e.ctx.command_path if e.ctx is not None else "arb"
    return f"{where}: {_one_line(Exception(e.format_message()))} (see `{where} --help`)"


def _exit_code(e: BaseException, verbose: bool) -> int:
    """Report ``e`` as one line on stderr and return README's exit code for it (0 ok, 1 runtime, 2 usage)."""
    from arb.core.errors import StoreError

    if isinstance(e, BaseExceptionGroup):  # a TaskGroup's errors: the first one arb raised on purpose speaks
        leaves = _leaves(e)
        known = (ArbError, click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError)
        return _exit_code(next((x for x in leaves if isinstance(x, known)), leaves[0]), verbose)
    if isinstance(e, click.exceptions.Exit):
        return int(e.exit_code)
    if isinstance(e, click.Abort | KeyboardInterrupt):
        click.echo("arb: aborted", err=True)
        return EXIT_RUNTIME
    if isinstance(e, click.UsageError):
        click.echo(_usage_line(e), err=True)
        return EXIT_USAGE
    if isinstance(e, click.ClickException):
        e.show()
        return EXIT_USAGE if e.exit_code == EXIT_USAGE or type(e) is click.ClickException else e.exit_code
    if isinstance(e, JournalLocked | StoreError):  # journal locked, corrupt, newer, read-only: README says 2
        click.echo(scrub(f"arb: {_one_line(e)}"), err=True)
        return EXIT_USAGE
    if isinstance(e, ConfigError):
        for p in e.problems:
            click.echo(scrub(f"arb: config: {p}"), err=True)
        return EXIT_USAGE
    if isinstance(e, ArbError):
        click.echo(scrub(f"arb: {_one_line(e)}"), err=True)
        return EXIT_RUNTIME
    if isinstance(e, BrokenPipeError):  # the reader went away (`arb ... | head`): stop quietly
        _silence_stdout()
        return EXIT_RUNTIME
    if isinstance(e, OSError):  # a file or socket problem the command did not anticipate: still one line
        click.echo(scrub(f"arb: {_one_line(e)}"), err=True)
        return EXIT_RUNTIME
    if verbose:
        import traceback

        sys.stderr.write(scrub("".join(traceback.format_exception(e))))
    click.echo(
        scrub(
            f"arb: unexpected {type(e).__name__}: {_one_line(e)} (this is a bug; run with -v for the "
            "traceback and report it)"
        ),
        err=True,
    )
    return EXIT_RUNTIME


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of a closed pipe raises nothing."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """Entry point for the console script; maps every outcome to README's exit codes (0, 1, 2), one line each.

    With ``standalone_mode=False`` click returns a command's exit code (``click.exceptions.Exit``, e.g.
    `arb doctor` on a failed check) instead of raising it: that value is the process's exit code.
    """
    args = sys.argv[1:] if argv is None else argv
    verbose = any(a in ("-v", "-vv", "--verbose") for a in args)
    try:
        rv = cli.main(args=args, prog_name="arb", standalone_mode=False)
    except BaseException as e:  # every outcome becomes one line and an exit code
        if isinstance(e, SystemExit | GeneratorExit):
            raise
        code = _exit_code(e, verbose)
    else:
        code = rv if isinstance(rv, int) and not isinstance(rv, bool) else EXIT_OK
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = code or EXIT_RUNTIME
    return code
