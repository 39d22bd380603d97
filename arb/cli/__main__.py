"""`python -m arb.cli`: the same as the `arb` command."""

import sys

from arb.cli import main

if __name__ == "__main__":
    sys.exit(main())
