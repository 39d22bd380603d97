"""`arb` command line. Thin: each command parses options and calls into the library.

Exit codes: 0 success, 1 runtime failure (ArbError), 2 usage or configuration error.
"""

from __future__ import annotations

import logging
import sys

import click

from arb import __version__
from arb.errors import ArbError, ConfigError
from arb.lock import JournalLocked

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="arb")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Cross-exchange arbitrage scanner and executor for ccxt.

    \b
    Uses:
      arb demo                 scanner against bundled loopback exchanges (no keys)
      arb scan --config FILE   alert-only scan of real venues (public data only)
      arb config check FILE    validate a configuration file
      arb sim                  run the loopback exchanges and print their ccxt configs
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _register() -> None:
    # Command families live in their own modules; cli.py only wires them.
    from arb.cli_config import config_group
    from arb.cli_scan import demo_command, opportunities_command, scan_command
    from arb.cli_trade import doctor_command, kill_command, run_command

    cli.add_command(config_group)
    cli.add_command(scan_command)
    cli.add_command(demo_command)
    cli.add_command(opportunities_command)
    cli.add_command(run_command)
    cli.add_command(kill_command)
    cli.add_command(doctor_command)
    from arb.cli_review import backtest_command, record_command, report_command

    cli.add_command(report_command)
    cli.add_command(record_command)
    cli.add_command(backtest_command)
    try:
        from exchanges.sim.cli import sim_command
    except ImportError:  # simulator not built yet
        pass
    else:
        cli.add_command(sim_command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Entry point for the console script; maps errors to exit codes."""
    try:
        cli.main(args=argv, prog_name="arb", standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except click.Abort:
        click.echo("arb: aborted", err=True)
        return EXIT_RUNTIME
    except click.ClickException as e:
        e.show()
        return EXIT_USAGE
    except JournalLocked as e:  # another process holds the journal: a usage problem, one line
        click.echo(f"arb: {e}", err=True)
        return EXIT_USAGE
    except ConfigError as e:
        for p in e.problems:
            click.echo(f"arb: config: {p}", err=True)
        return EXIT_USAGE
    except ArbError as e:
        click.echo(f"arb: {e}", err=True)
        return EXIT_RUNTIME
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
