"""`python -m core`: parse the command line, run the command, and turn every error the analyst can fix into one
line `error: ...` with exit 2 (a config's bad fields: one line each)."""
from __future__ import annotations

import sys

from core.cli.deploy import drift, export, predict
from core.cli.experiment import compare, generate, run, sweep
from core.cli.explore import advise, analyze, methods
from core.cli.parser import build_parser
from core.cluster import one_client_per_command
from core.errors import SynthBalanceError


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        commands = {"analyze": analyze, "advise": advise, "generate": generate, "run": run, "compare": compare,
                    "drift": drift, "export": export, "predict": predict, "methods": methods, "sweep": sweep}
        with one_client_per_command(getattr(args, "scheduler", None)):  # a malformed address: refused first
            return commands[args.command](args)
    except SynthBalanceError as exc:
        for problem in getattr(exc, "problems", None) or [str(exc)]:  # a config's bad fields: one line each
            print(f"error: {' '.join(problem.split())}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "), file=sys.stderr)
        return 2
