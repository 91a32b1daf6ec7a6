"""`python -m mllab …`: the same command as the `mllab …` script."""

import sys

from mllab.cli import main

if __name__ == "__main__":
    sys.exit(main())
