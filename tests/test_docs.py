"""README and docs/: every command they show exists and runs, and the README stays one screen long.

The commands are read from the Markdown itself (code blocks and inline code), so a renamed option, a removed
subcommand, a bench script that moved or a Makefile target that went away fails here instead of in a reader's
terminal. `python -m core` commands are checked in-process against the CLI's own parser: the subcommand exists,
its `--help` runs, and every `--option` shown is one that subcommand takes.
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

from core.cli.parser import build_parser as _parser

ROOT = Path(__file__).parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 250


def _code_texts(markdown: str) -> list[str]:
    """Each code block line (backslash continuations joined) and each inline code span (line breaks as spaces)."""
    texts = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.S | re.M):
        texts += [line.split("  #")[0] for line in block.replace("\\\n", " ").splitlines()]
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", markdown, flags=re.S | re.M)
    texts += [span.replace("\n", " ") for span in re.findall(r"`([^`]+)`", prose)]
    return texts


def _shown(pattern: str) -> list[tuple[str, str]]:
    """(file name, matched command) for every code text in README and docs/ that matches `pattern`."""
    return [(doc.name, match) for doc in DOCS for text in _code_texts(doc.read_text(encoding="utf-8"))
            for match in re.findall(pattern, text)]


def _subparsers() -> dict:
    parser = _parser()
    return next(action for action in parser._actions if action.choices and "run" in action.choices).choices


CORE_COMMANDS = _shown(r"python -m core ([a-z]+)\b((?:\s+(?!python\b)[^\s]+)*)")
BENCH_SCRIPTS = _shown(r"python -m bench\.(\w+)") + _shown(r"python (bench/\w+\.py)")
OTHER_SCRIPTS = _shown(r"python ((?!bench/)[\w/]+\.py)")
MAKE_TARGETS = _shown(r"\bmake (\w[\w-]*)")


def test_the_docs_show_commands_of_every_kind():
    """The extraction itself works: a regex that silently matched nothing would pass every check below."""
    assert len(CORE_COMMANDS) >= 20 and len(BENCH_SCRIPTS) >= 10 and len(MAKE_TARGETS) >= 2
    shown = {name for _, (name, _) in CORE_COMMANDS}
    assert {"analyze", "advise", "generate", "run", "compare", "methods", "sweep", "drift"} <= shown


def test_every_core_command_shown_exists_takes_its_options_and_answers_help():
    commands = _subparsers()
    for doc, (name, rest) in CORE_COMMANDS:
        assert name in commands, f"{doc}: python -m core {name}: no such command"
        known = set(commands[name]._option_string_actions)
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", rest):
            assert option in known, f"{doc}: python -m core {name} ... {option}: {name} takes no {option}"
    for name in sorted({name for _, (name, _) in CORE_COMMANDS}):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
            _parser().parse_args([name, "--help"])
        assert stop.value.code == 0 and "usage:" in out.getvalue(), name


def test_every_bench_script_named_exists():
    for doc, script in BENCH_SCRIPTS:
        path = ROOT / (script if script.endswith(".py") else f"bench/{script}.py")
        assert path.is_file(), f"{doc}: {script} names no file"


def test_every_other_script_named_exists():
    for doc, script in OTHER_SCRIPTS:
        assert (ROOT / script).is_file(), f"{doc}: python {script} names no file"


def test_every_make_target_shown_is_in_the_makefile():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.M))
    for doc, target in MAKE_TARGETS:
        assert target in targets, f"{doc}: make {target}: no such target in the Makefile"


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped (hyphens and underscores kept), spaces as '-'."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", markdown, flags=re.M)}


def test_every_local_link_and_picture_points_at_a_file_and_heading():
    for doc in DOCS:
        for link, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)]*))?\)", doc.read_text(encoding="utf-8")):
            if link.startswith(("http://", "https://")):
                continue
            target = doc.parent / link if link else doc
            assert target.exists(), f"{doc.name}: link to {link}, which does not exist"
            if anchor:
                assert anchor in _anchors(target.read_text(encoding="utf-8")), f"{doc.name}: no heading #{anchor}"


def test_readme_is_one_screen_of_reading():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; at most {README_MAX_LINES}: move detail to docs/"
