"""Headless commands: `python -m core analyze | advise | generate | run | compare | methods | sweep | drift |
export | predict` (the package core.cli).

Bad input: exit 2 and one line `error: ...`."""
import sys

from core.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
