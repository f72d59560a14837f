"""``python -m bench``: run every workload and print the table (exit 1 over the floor or on a failure)."""

from __future__ import annotations

import sys

from bench.run import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
