"""Escaping where text is rendered: one run whose file name, column names, target labels and category levels are
all hostile (Markdown image and link, HTML tags, a formula, pipes, backticks, a line break), some levels only in
the test part, and every rendered output of it scanned for a live payload: model_card.md, model_card.html (its
charts too), the Summary (screen and HTML download) and the Report page on screen."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.card_render import to_html, to_markdown
from core.config import RunConfig
from core.data import validate_dataset
from core.pipeline import run_experiment
from core.reading import read_table
from core.report import build_model_card
from core.results import results_dict
from core.text import escape_markdown
from tests.apptest_helpers import go, open_app

IMAGE = "![x](http://attacker.example/leak.png)"
LINK = "[click](http://attacker.example)"
SCRIPT = "<script>alert(1)</script>"
TAG = "<img src=x onerror=alert(1)>"
ANCHOR = "<a href='http://attacker.example'>go</a>"
FORMULA = '=HYPERLINK("http://attacker.example")'
PIPES = "a|b||c"
TICKS = "`rm -rf`"
BREAK = "line\nbreak # head"
FILE_NAME = SCRIPT + ".csv"
TARGET, GROUP = LINK, FORMULA
LABELS = (IMAGE + " rare", SCRIPT + " common")
LEVELS = (ANCHOR, TICKS, PIPES)
ONLY_ONCE = tuple(f"![t{i}](http://attacker.example/t{i}.png)" for i in range(12))  # some land in the test part only

# A payload is live in Markdown when an unescaped opener survives: a link or image target, a raw tag, a code span,
# an autolink, or a line break that starts a heading.
LIVE_MARKDOWN = {"link or image": r"(?<!\\)\]\(", "tag": r"(?<!\\)<(?:/?script|img|a )", "code span": r"(?<!\\)`rm",
                 "autolink": r"(?<!\\)http://attacker", "heading": r"(?m)^\s*(?:break|# head)"}
# In HTML, a tag is live when its '<' is not an entity; inside plotly's JSON a raw '<' is \u003c, and plotly.js
# would draw it as a tag (a link, bold...): it must reach the chart as &lt;.
LIVE_HTML = {"tag": r"<(?:script>alert|img src=x|a href='http://attacker)",
             "chart tag": r"\\u003c(?:script\\u003ealert|img src=x|a href='http:\\u002f\\u002fattacker)"}


def live(text: str, patterns: dict[str, str]) -> list[str]:
    """What in text is a live payload: the name of each pattern found, with the text around it."""
    return [f"{name}: {text[max(m.start() - 40, 0):m.end() + 40]!r}" for name, pattern in patterns.items()
            for m in re.finditer(pattern, text)]


def table_rows_broken(markdown: str) -> list[str]:
    """Table rows whose unescaped pipes differ from their header's: a pipe or line break that split a cell."""
    broken, expected = [], None
    for line in markdown.split("\n"):
        if not line.startswith("|"):
            expected = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))
        expected = cells if expected is None else expected
        if cells != expected:
            broken.append(line)
    return broken


def hostile_csv() -> bytes:
    rng = np.random.default_rng(0)
    n = 160
    group = np.array(LEVELS * (n // len(LEVELS)) + LEVELS[:n % len(LEVELS)], dtype=object)
    group[40:40 + len(ONLY_ONCE)] = ONLY_ONCE
    frame = pd.DataFrame({IMAGE: rng.normal(size=n).round(3), PIPES: rng.normal(size=n).round(3),
                          BREAK: rng.normal(size=n).round(3), TICKS: rng.normal(size=n).round(3),
                          TAG: rng.normal(size=n).round(3), GROUP: group,
                          TARGET: np.where(np.arange(n) < 40, LABELS[0], LABELS[1])})
    return frame.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def hostile_run():
    dataset = validate_dataset(read_table(hostile_csv(), FILE_NAME), TARGET)
    result = run_experiment(dataset, RunConfig(target=TARGET, method="smotenc", repeats=1, sensitive_attribute=GROUP))
    card = build_model_card(result)
    return result, to_markdown(card), to_html(card, result)


def test_the_run_is_hostile_everywhere(hostile_run):
    result, _, _ = hostile_run
    prepared = result.prepared
    test_only = set(prepared.test[GROUP]) - set(prepared.train[GROUP])
    assert test_only and test_only <= set(ONLY_ONCE)  # levels seen only in the test part: the case of the issue
    assert set(result.detail.fairness["group"]) >= test_only  # ...and the fairness table shows them
    assert set(prepared.dataset.frame.columns) == {IMAGE, PIPES, BREAK, TICKS, TAG, GROUP, TARGET}
    assert set(result.profile.class_counts) == set(LABELS) and prepared.dataset.name == FILE_NAME


def test_markdown_card_has_no_live_payload(hostile_run):
    result, markdown, _ = hostile_run
    assert live(markdown, LIVE_MARKDOWN) == [] and table_rows_broken(markdown) == []
    for shown in (*ONLY_ONCE[:3], IMAGE, LINK, ANCHOR, SCRIPT, PIPES, TICKS):
        assert shown not in markdown
    test_only = set(result.prepared.test[GROUP]) - set(result.prepared.train[GROUP])
    assert all(f"| {escape_markdown(level)} |" in markdown for level in test_only)  # in the fairness table, escaped
    assert escape_markdown(BREAK) in markdown and escape_markdown(TAG) in markdown
    assert "# Model card: synthetic minority rows for '\\[click\\](http\\://attacker.example)' (\\<script\\>" \
        in markdown


def test_html_card_and_its_charts_have_no_live_payload(hostile_run):
    result, _, page = hostile_run
    assert live(page, LIVE_HTML) == []
    assert page.count("<script") == page.count("</script>")  # no user string opens or closes a script block
    test_only = set(result.prepared.test[GROUP]) - set(result.prepared.train[GROUP])
    assert all(f"<td>{level}</td>" in page for level in test_only)  # no HTML-active character in these
    assert "&lt;script&gt;alert(1)&lt;/script&gt; common" in page  # the label, shown as written
    assert "<td>&lt;a href='http://attacker.example'&gt;go&lt;/a&gt;</td>" in page  # a level in a table
    assert '"&lt;img src=x onerror=alert(1)&gt;"' in page  # a column name in a chart's data, as plotly shows it


def test_summary_html_and_results_json(hostile_run):
    from core import summary as _summary
    result, _, _ = hostile_run
    page = _summary.to_html(result, None)
    assert live(page, LIVE_HTML) == [] and page.count("<script") == page.count("</script>")
    assert "<h1>Summary: &lt;script&gt;alert(1)&lt;/script&gt;.csv</h1>" in page
    assert "Target [click](http://attacker.example);" in page  # HTML has no Markdown: the name as written
    # results.json is data: it holds the names and labels exactly (a reader that renders them escapes them, as the
    # card and the Summary do with the same verdict text)
    results = json.loads(json.dumps(results_dict(result)))
    assert results["dataset"]["name"] == FILE_NAME and results["dataset"]["target"] == TARGET
    assert set(results["dataset"]["class_counts"]) == set(LABELS)
    assert results["evaluation"]["verdict"] == result.comparison.verdict


def test_report_page_shows_every_name_as_text(hostile_run):
    result, _, _ = hostile_run
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((FILE_NAME, hostile_csv(), "text/csv")).run()
    at.session_state["experiment"] = result
    at = go(at, "report")
    shown = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "header",
                                  "subheader", "title") for e in at.get(kind)]
    shown += [str(getattr(m, part)) for m in at.metric for part in ("label", "value", "delta")]
    assert len(shown) > 20 and [found for text in shown for found in live(text, LIVE_MARKDOWN)] == []
    assert f"## Summary: {escape_markdown(FILE_NAME)}" in shown
    assert {m.label: m.value for m in at.metric}["Rare class"] == escape_markdown(LABELS[0])
