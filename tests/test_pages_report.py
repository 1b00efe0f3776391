"""Report and Compare generators pages: the model card on screen, downloads, config replay, the leaderboard."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.config import RunConfig, config_json, read_config
from core.evaluation import conservative_gain
from core.pipeline import prepare
from core.report import SECTIONS
from tests.apptest_helpers import errors, go, metrics, open_app


def open_small(path: Path):
    """The app with the 300-row German credit sample uploaded (target credit_risk): every path, a third of the work."""
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["table"].name == "small_credit.csv" and len(at.session_state["table"].frame) == 300
    return at


@pytest.fixture(scope="module")
def compared(small_credit_csv):
    at = go(open_small(small_credit_csv), "generation")
    at.button(key="generate").click().run()
    at = go(at, "comparison")
    at.slider(key="w_repeats").set_value(2).run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    return at


def test_report_shows_every_section_and_offers_downloads(compared):
    at = go(compared, "report")
    assert [h.value for h in at.header] == list(SECTIONS)
    assert SECTIONS[1].startswith("1.5 Ethical") and SECTIONS[3].startswith("2.5 Ethical")
    assert SECTIONS[-2:] == ("8. Deployment and monitoring", "9. Limitations and residual risks")
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Summary card (HTML)", "Model card (Markdown)", "Model card (HTML)", "Run config (JSON)",
                      "Everything (zip)"]
    result = at.session_state["experiment"]
    assert result.config.repeats == 2 and result.validation is not None


def test_card_fields_are_saved_in_the_config_and_shown_escaped(compared):
    at = go(compared, "report")
    assert at.markdown and sum("*not provided*" in m.value for m in at.markdown) >= 3
    at.text_area(key="w_card_affected_groups").set_value("Loan applicants <script>x</script> *all*")
    at.text_area(key="w_card_owner").set_value("Credit risk team")
    at.button(key="save_card_notes").click().run()
    assert not at.exception and not [e for e in errors(at) if not e.startswith("**Validation:")]
    config = at.session_state["experiment"].config
    assert config.card_notes == {"affected_groups": "Loan applicants <script>x</script> *all*",
                                 "owner": "Credit risk team"}
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Affected groups:** Loan applicants \\<script\\>x\\</script\\> \\*all\\*" in shown
    assert "**Owner:** Credit risk team" in shown and "**Rollback procedure:** *not provided*" in shown
    assert read_config(config_json(config)).card_notes["owner"] == "Credit risk team"  # what the download holds


def test_group_representation_section(compared):
    at = go(compared, "report")
    at.selectbox(key="w_representation_attribute").set_value("personal_status_sex").run()
    assert not at.exception and not [e for e in errors(at) if not e.startswith("**Validation:")]
    groups = at.dataframe[0].value
    assert set(groups["group"]) >= {"male single", "female div/sep/married"}
    assert groups["real_share"].sum() == 1.0 or abs(groups["real_share"].sum() - 1) < 1e-9
    assert abs(groups["synthetic_share"].sum() - 1) < 1e-9
    performance = at.dataframe[1].value
    assert set(performance["arm"]) == {"threshold_tuned", "augmented_tuned"}  # the judged arm and its reference
    at.button(key="use_attribute_in_card").click().run()
    assert at.session_state["experiment"].config.card_notes["sensitive_attribute"] == "personal_status_sex"
    assert any("Group representation of 'personal\\_status\\_sex'" in m.value or
               "Group representation of 'personal_status_sex'" in m.value for m in at.markdown)


def test_monitor_checks_the_run_itself(compared):
    at = go(compared, "monitor")
    batch = at.session_state["table"].frame.sample(300, random_state=4)
    at.file_uploader(key="drift_upload").set_value(("new.csv", batch.to_csv(index=False).encode(), "text/csv"))
    at.run()
    at.button(key="run_drift").click().run()
    assert not at.exception
    drift = at.session_state["drift"]
    # Monitor watches the model that goes forward (the record's kept.monitored): the augmented one only if earned
    from core.decision import decision_record
    kept = decision_record(at.session_state["experiment"]).kept
    from core.models import CLASSIFIERS
    from core.strategies import strategy_words
    words = f"{CLASSIFIERS['logreg']} on the training rows"
    expected = (f"{words} + {strategy_words('smotenc')} synthetic rows" if kept.monitored == "smotenc" else
                f"{words} ({strategy_words(kept.monitored)}, no synthetic rows)")
    assert drift.reference_rows == 210 and drift.concept.model.startswith(expected)
    assert "python -m core run --config config.json" in drift.next_step or drift.verdict.value != "re-run"
    at = go(at, "report")
    assert any(f"Last drift check: {drift.verdict.value}" in m.value for m in at.markdown)


def test_summary_on_top_of_the_report(compared):
    at = go(compared, "report")
    result = at.session_state["experiment"]
    assert at.markdown[0].value == "## Summary: small\\_credit.csv"  # first on the page, escaped (core.text)
    m = metrics(at)
    assert m["Rare class"] == "bad" and m["Imbalance"] == f"{result.profile.imbalance_ratio:,.1f} : 1"
    assert m["Tried"] == "SMOTE-NC"
    assert m["Quality score"] == f"{result.validation.fidelity.quality_score:.2f}"
    gain = conservative_gain(result.comparison, "minority_f1")  # at tuned thresholds, corrected interval
    assert m["Minority F1 gain"] == f"{gain.mean:+.3f}"
    banners = [b.value for b in list(at.success) + list(at.warning) + list(at.error)]
    decision = {"approved": "Approved", "requires_refinement": "Requires refinement", "rejected": "Rejected"}[
        str(getattr(result.validation.verdict.decision, "value", result.validation.verdict.decision))]
    shown = next(b for b in banners if b.startswith(f"**Validation: {decision}**"))
    level = {"Rejected": "reject", "Requires refinement": "refine"}.get(decision)
    for check in result.validation.verdict.checks:  # the banner names only the checks at its own level
        if check.outcome.value == level:
            assert check.message in shown, (check, shown)
        elif check.outcome.value in ("refine", "reject"):
            assert check.message not in shown, (check, shown)
    reference = next(name.partition("_vs_")[2] for name, d in result.comparison.differences.items()
                     if d["minority_f1"] is gain)  # the banner's "before" is the gain's own reference
    base = result.comparison.arms[reference]["minority_f1"].mean
    after = result.comparison.arms["augmented_tuned"]["minority_f1"].mean
    words = result.comparison.decision.words  # the verdict's words, from the enum
    assert f"**Comparison: minority F1 {base:.3f} → {after:.3f}: {words}**" in banners
    charts = [c.proto.spec for c in at.get("plotly_chart")[:2]]
    assert "Where the synthetic rows fall" in charts[0] and "Minority F1 on the test rows" in charts[1]
    card = at.get("download_button")[0].proto
    assert card.label == "Summary card (HTML)"
    assert any("kaleido" in c.value and "not installed" in c.value for c in at.caption)


def test_summary_card_html_is_self_contained_and_escaped(compared):
    from dataclasses import replace

    from core import summary as _summary
    result = compared.session_state["experiment"]
    dataset = replace(result.prepared.dataset, name="<script>x</script>.csv")
    hostile = replace(result, prepared=replace(result.prepared, dataset=dataset))
    page = _summary.to_html(hostile, "approved")
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;.csv" in page
    assert "<script" not in page and page.count("<svg") == 2  # static SVG charts, nothing fetched or run
    assert "Validation: Approved" in page and "#2e7d4f" in page



CARD_LAYOUT = """() => {
  const box = e => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height,
    text: e.textContent.trim(), size: parseFloat(getComputedStyle(e).fontSize)}; };
  const blocks = [...document.querySelectorAll('h1, body > p, .tile, .banner, .half > p, h3, .chart svg, .legend')];
  return {blocks: blocks.map(box), width: document.documentElement.scrollWidth,
          charts: [...document.querySelectorAll('.chart svg')].map(svg => ({svg: box(svg),
            y: [...svg.querySelectorAll('.ytick')].map(box), x: [...svg.querySelectorAll('.xtick')].map(box),
            title: [...svg.querySelectorAll('.ytitle')].map(box)}))};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] - 1 and b["x"] < a["x"] + a["w"] - 1 and \
        a["y"] < b["y"] + b["h"] - 1 and b["y"] < a["y"] + a["h"] - 1


def _inside(a: dict, outer: dict) -> bool:
    return outer["x"] <= a["x"] and a["x"] + a["w"] <= outer["x"] + outer["w"] and outer["y"] <= a["y"] and \
        a["y"] + a["h"] <= outer["y"] + outer["h"]


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed")
def test_the_summary_card_reads_well_in_chromium(compared, tmp_path):
    """The card the Report page offers (same call), opened from disk in Chromium at 1440 px: small, nothing
    overlaps, the F1 axis rises from 0 with readable, uncut tick labels."""
    from playwright.sync_api import sync_playwright

    from core import summary as _summary
    result = compared.session_state["experiment"]
    card = tmp_path / "summary.html"
    card.write_text(_summary.to_html(result, "approved"), encoding="utf-8")
    assert card.stat().st_size < 1_000_000  # was 4.8 MB with plotly.js inside
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(card.as_uri())
        layout = page.evaluate(CARD_LAYOUT)
        browser.close()
    assert layout["width"] <= 1440  # no sideways scroll
    blocks = layout["blocks"]
    clashes = [(a["text"][:30], b["text"][:30]) for i, a in enumerate(blocks) for b in blocks[i + 1:]
               if _overlap(a, b) and not (_inside(a, b) or _inside(b, a))]
    assert clashes == []
    pca, arms = layout["charts"]
    values = [float(t["text"]) for t in sorted(arms["y"], key=lambda t: -t["y"])]  # bottom to top
    assert values[0] == 0 and values == sorted(values) and len(values) >= 3  # "0, 0.2, ... 1.0", not "6, 4, 2, 0"
    labels = arms["y"] + arms["x"] + arms["title"]
    assert all(_inside(t, arms["svg"]) for t in labels)  # no cut labels
    assert all(t["size"] >= 12 for t in labels)
    assert [t["text"] for t in arms["x"]] == ["tuned threshold", "class weights", "with synthetic rows"]
    assert not any(_overlap(a, b) for i, a in enumerate(arms["x"]) for b in arms["x"][i + 1:])
    assert not any(_overlap(arms["title"][0], t) for t in arms["y"])
    assert pca["y"] == []  # a projection has no unit: no tick labels on the PCA map


def test_replaying_an_uploaded_config(compared):
    at = go(compared, "report")
    table = at.session_state["table"]
    # validation off: what this checks is that the uploaded config is what runs (its method, seed and switches),
    # and skipping the validation is one of its settings the replay must keep
    config = RunConfig(target="credit_risk", method="gaussian_copula", data=table.name, data_sha256=table.sha256,
                       repeats=1, seed=7, validation=False, classifier="rf")
    at.file_uploader(key="config_upload").set_value(("config.json", config_json(config).encode(), "application/json"))
    at.run()
    # the replayed settings are the session's now: the run is not marked as computed for other inputs (it was:
    # the Comparison's classifier and the session's seed stayed as they were)
    assert at.session_state["v_seed"] == 7 and at.session_state["v_classifier"] == "rf"
    shown = [e.value for e in [*at.warning, *at.info, *at.caption, *at.markdown]]
    assert not [text for text in shown if "before you changed" in text], shown
    assert not at.exception and not [e for e in errors(at) if not e.startswith("**Validation:")]
    replayed = at.session_state["experiment"]
    assert replayed.config.method == "gaussian_copula" and replayed.config.seed == 7
    assert replayed.synthetic.method_used == "gaussian_copula"
    assert replayed.config.validation is False and replayed.validation is None
    assert replayed.config.repeats == 1 and len(replayed.runs) == 1  # the fixture's run had two repeats


def test_a_config_for_other_data_is_refused():
    at = go(open_app(), "report")
    config = RunConfig(target="diagnosis", method="smote", data="hypothyroid.csv", data_sha256="0" * 64)
    at.file_uploader(key="config_upload").set_value(("c.json", config_json(config).encode(), "application/json"))
    at.run()
    assert not at.exception
    assert any("not from the loaded table" in e for e in errors(at))
    at.file_uploader(key="config_upload").set_value(("c.json", b"{not json", "application/json"))
    at.run()
    assert any("not valid JSON" in e for e in errors(at))


def test_compare_generators_page(small_credit, small_credit_csv, monkeypatch):
    import functools

    import core.leaderboard
    # what this checks is the page (labels, star, cells, colours, copies), not the race: two folds instead of five
    # (the page reads build_leaderboard from core.leaderboard on every run, so it gets this one)
    monkeypatch.setattr(core.leaderboard, "build_leaderboard",
                        functools.partial(core.leaderboard.build_leaderboard, folds=2))
    at = go(open_small(small_credit_csv), "leaderboard")
    # only the defaults that run as themselves on this mixed table (Borderline-SMOTE and ADASYN take numbers only;
    # SMOTE would run as SMOTE-NC, which is already there)
    assert at.multiselect(key="w_board_methods").value == ["random_oversampler", "smotenc"]
    at.multiselect(key="w_board_methods").set_value(["random_oversampler", "adasyn", "gaussian_copula"])
    at.slider(key="w_board_repeats").set_value(1)
    at.button(key="run_board").click().run()
    assert not at.exception
    board = at.session_state["leaderboard"]
    assert board.best == board.race.recommended
    assert "Best on the training folds" in at.success[0].value
    table, fidelity = at.dataframe[0].value, at.dataframe[1].value
    # labels, not ids; the best is starred; one cell per gain with its interval; two narrow tables, no side scroll
    star = {m: ("* " if m == board.best else "") for m in board.rows["method"]}
    assert table["method"].tolist() == fidelity["method"].tolist() == [
        star["as_is"] + "As is (no weights, threshold 0.5)",
        star["class_weighted_default"] + "Class weights, threshold 0.5",
        star["threshold_tuned"] + "Tuned threshold only", star["class_weighted"] + "Class weights + tuned threshold",
        star["random_oversampler"] + "Random oversampling", star["gaussian_copula"] + "Gaussian copula"]
    copula = board.rows.set_index("method").loc["gaussian_copula"]
    row = table.set_index("method").loc[star["gaussian_copula"] + "Gaussian copula"]
    low, high = copula["minority_f1_gain_ci_low"], copula["minority_f1_gain_ci_high"]
    assert pd.isna(low) and pd.isna(high)  # one split: no interval, and the cell says so
    assert row["minority F1 gain [95% CI]"] == f"{copula['minority_f1_gain']:+.3f} (no interval)"
    assert table.set_index("method").loc[star["threshold_tuned"] + "Tuned threshold only",
                                         "minority F1 gain [95% CI]"] == ""  # no gain over itself
    assert row["folds: minority F1 [95% CI]"].startswith(f"{copula['fold_minority_f1']:.3f} [")
    # the rows' validation sits with fidelity, uncoloured; the utility table's colours read the gain's interval
    assert fidelity.set_index("method").loc[star["random_oversampler"] + "Random oversampling",
                                            "validation of the rows"] == "Rejected"
    assert fidelity.set_index("method").loc[star["threshold_tuned"] + "Tuned threshold only",
                                            "validation of the rows"] == "no synthetic rows"
    ran = board.rows.loc[board.rows["error"] == ""]
    expected = ["" if pd.isna(m) else "no interval (under 3 repeats)" if pd.isna(lo) else "helps (interval above 0)"
                if lo > 0
                else "hurts (interval below 0)" if hi < 0 else "could not tell apart from 0"
                for m, lo, hi in ran[["minority_f1_gain", "minority_f1_gain_ci_low",
                                      "minority_f1_gain_ci_high"]].to_numpy()]
    assert table["gain reads"].tolist() == expected
    assert table["#"].tolist() == fidelity["#"].tolist() == ["1", "2", "3", "4", "5", "6"]
    train = prepare(small_credit, test_size=0.3, seed=42).split.train["credit_risk"].value_counts()
    assert (train["good"], train["bad"]) == (147, 63)  # 70% of 210 good and 90 bad
    assert fidelity.set_index("method").loc[star["random_oversampler"] + "Random oversampling",
                                            "copies (exact / near)"].startswith("84 / ")  # 147 - 63 rows: all copies
    assert (len(table.columns), len(fidelity.columns)) == (7, 8)  # was one table of 17 columns
    assert any(w.value.startswith("**ADASYN** did not run:") and "numeric columns only" in w.value
               for w in at.warning)
    assert len(at.get("plotly_chart")) == 1
    scatter = json.loads(at.get("plotly_chart")[0].proto.spec)
    texts = [t for trace in scatter["data"] for t in (trace.get("text") or [])]
    assert sorted(texts) == ["5", "6"]  # short numbers, not long labels that overlap; rows 5 and 6 make rows
    names = {trace.get("name") for trace in scatter["data"]}
    readings = {"helps (interval above 0)", "could not tell apart from 0", "hurts (interval below 0)",
                "no interval (under 3 repeats)"}
    assert names - {f"* best: {label}" for label in ran["label"]} <= readings  # one meaning for the colours
    best_label = ran.set_index("method").loc[board.best, "label"]
    drawn = f"* best: {best_label}" in names or any(
        a.get("text", "").startswith(f"* best: {best_label}") for a in scatter["layout"].get("annotations", []))
    assert drawn  # the starred best is in the chart (a star, or a line when it makes no rows)

def test_compare_generators_never_preselects_or_silently_swaps_a_method_the_columns_do_not_fit():
    numbers = pd.DataFrame({"a": range(120), "b": [i % 7 for i in range(120)],
                            "label": ["rare" if i % 6 == 0 else "common" for i in range(120)]})
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader[0].set_value(("numbers.csv", numbers.to_csv(index=False).encode(), "text/csv"))
    at.run()
    at = go(at, "leaderboard")
    chosen = at.multiselect(key="w_board_methods").value
    assert "smotenc" not in chosen and "smote" in chosen  # all-numeric: SMOTE-NC would run as SMOTE
    assert not [w for w in at.warning if "SMOTE-NC" in w.value]
    at.multiselect(key="w_board_methods").set_value([*chosen, "smotenc"]).run()
    assert [w.value for w in at.warning if "SMOTE-NC" in w.value] == [
        "**SMOTE-NC**: SMOTE-NC needs both number and category columns; this table has no categories, so SMOTE was "
        "used."]



def test_comparison_summary_card_and_results_quote_one_headline_gain(compared):
    import re

    from core.card_render import to_markdown
    from core.report import build_model_card
    from core.results import results_dict
    at = go(compared, "comparison")
    result = at.session_state["experiment"]
    comparison = result.comparison
    # hand-picked: the tuned arm without synthetic rows with the highest test-part mean minority F1
    reference = max(("threshold_tuned", "class_weighted_tuned"),
                    key=lambda r: comparison.arms[r]["minority_f1"].mean)
    number = f"{comparison.differences[f'augmented_tuned_vs_{reference}']['minority_f1'].mean:+.3f}"
    words = {"threshold_tuned": "a tuned threshold",
             "class_weighted_tuned": "class weights with a tuned threshold"}[reference]
    on_comparison = next(m for m in at.metric if m.label == "Minority F1 gain")
    assert on_comparison.value == number
    assert on_comparison.proto.delta == f"against {words}, the best option without synthetic rows"
    on_summary = metrics(go(compared, "report"))  # the Summary's tiles, read once for both gains below
    assert on_summary["Minority F1 gain"] == number
    saved = results_dict(result)["evaluation"]["headline_gain"]
    assert f"{saved['gain']:+.3f}" == number and saved["reference"] == reference
    card = to_markdown(build_model_card(result))
    r1 = next(line for line in card.splitlines() if "R1 performance" in line)
    assert f"minority F1 {number} against {words}" in r1
    assert f"with {words}, the best option without synthetic rows: a gain of {number}" in comparison.verdict
    # "met" in the table and in the verdict paragraph follow one rule, in the enum's words
    met_in_verdict = re.search(r"The target of \+0\.\d\d is (met|not met)", comparison.verdict).group(1) == "met"
    words_in_verdict = re.search(r"Verdict: (earned|worse|could not tell apart)", comparison.verdict).group(1)
    assert r1.rstrip(" |").endswith(f"| {'Met' if met_in_verdict else 'Not met'}: {words_in_verdict}")
    assert saved["met"] == met_in_verdict and saved["verdict_words"] == words_in_verdict
    assert results_dict(result)["decision"]["judged"]["reference"] == reference
    # PR-AUC against the same reference on the Summary tile and in the verdict
    pr = comparison.differences[f"augmented_tuned_vs_{reference}"]["pr_auc"].mean
    assert on_summary["PR-AUC gain"] == f"{pr:+.3f}"
    assert f"changed by {pr:+.3f} against the same reference" in comparison.verdict
