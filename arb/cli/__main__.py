"""`python -m arb.cli`: the same as the `arb` command."""

from arb.cli import main

if __name__ == "__main__":
    main()
