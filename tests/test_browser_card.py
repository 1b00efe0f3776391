"""The exported HTML model card in a real headless Chromium: its charts draw in real colours, speak in words and
keep their labels inside the chart.

The card is written the way the app's download writes it: in a process where Streamlit is imported, which makes
Streamlit's plotly template the process-wide default (its colours are placeholders, #000001 to #000040, that only
the app's front end replaces). Needs Debian's chromium (/usr/bin/chromium), which .ci/run installs.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.card_render import to_html
from core.config import RunConfig
from core.pipeline import run_experiment
from core.report import build_model_card

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
# internal names that must not reach a chart: arm keys, method and classifier keys, raw metric and column names
INTERNAL = ("tstr", "threshold_tuned", "class_weighted", "augmented_tuned", "smotenc", "logreg", "shape_score",
            "minority_f1", "p_adjusted")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (.ci/run installs it)")

# Per chart: the computed fill and stroke of every drawn svg element, every non-empty text with its box, and the
# chart's box (texts must lie inside it: a label cut at the edge, as 'xisting_credits' was, lies partly outside).
CHARTS = """() => [...document.querySelectorAll('.plotly-graph-div')].map(div => {
  const box = div.getBoundingClientRect();
  const colours = [...div.querySelectorAll('svg path, svg rect')].flatMap(e => {
    const style = getComputedStyle(e); return [style.fill, style.stroke]; });
  const texts = [...div.querySelectorAll('svg text')].filter(t => t.textContent.trim()).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom}; });
  return {title: (div.querySelector('.gtitle') || {}).textContent || '', colours, texts,
          box: {left: box.left, right: box.right, top: box.top, bottom: box.bottom}};
})"""
PLACEHOLDER = re.compile(r"rgba?\(0, 0, (\d+)")


@pytest.fixture(scope="module")
def card_html(small_credit, tmp_path_factory) -> Path:
    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401 (what the app imports: plotly's default becomes Streamlit's)
    assert pio.templates.default == "streamlit"  # the condition the download met
    result = run_experiment(small_credit, RunConfig(target="credit_risk", method="smotenc", repeats=2))
    path = tmp_path_factory.mktemp("card") / "model_card.html"
    path.write_text(to_html(build_model_card(result), result), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def charts(card_html):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        tab = browser.new_page(viewport={"width": 1200, "height": 900})
        tab.goto(card_html.as_uri())
        tab.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 8")
        found = tab.evaluate(CHARTS)
        browser.close()
    assert len(found) >= 8  # class counts, typology, shapes, PCA, DCR, approaches, two confusion matrices
    return found


def test_card_charts_draw_in_real_colours(charts):
    for chart in charts:
        placeholders = {c for c in chart["colours"] if (m := PLACEHOLDER.match(c)) and 1 <= int(m.group(1)) <= 64}
        assert not placeholders, f"{chart['title']}: Streamlit's placeholder colours {sorted(placeholders)}"
    drawn = {c for chart in charts for c in chart["colours"]}
    assert "rgb(47, 111, 143)" in drawn and "rgb(224, 123, 57)" in drawn  # core.plots' palette, not the theme's


def test_card_charts_speak_in_words(charts):
    texts = [t["text"] for chart in charts for t in chart["texts"]]
    leaked = sorted({t for t in texts for name in INTERNAL if name in t})
    assert not leaked, f"internal names in the card's charts: {leaked}"
    assert "class weights, tuned threshold" in texts and "real majority + synthetic minority" in texts


def test_card_chart_labels_are_not_cut(charts):
    for chart in charts:
        box = chart["box"]
        cut = [t["text"] for t in chart["texts"] if t["left"] < box["left"] - 1 or t["right"] > box["right"] + 1
               or t["top"] < box["top"] - 1 or t["bottom"] > box["bottom"] + 1]
        assert not cut, f"{chart['title']}: labels outside the chart: {cut}"
    shapes = next(c for c in charts if c["title"].startswith("Per-feature shape score"))
    assert "existing_credits" in [t["text"] for t in shapes["texts"]]  # every feature named, none skipped
