"""One story across the pages: what is judged follows the last generation, the advice not to generate carries
through, and 'Method chosen' means the analyst chose."""
from __future__ import annotations

from tests.apptest_helpers import errors, go, open_app, use_sample


def open_small(path):
    """The app with the 300-row German credit sample uploaded (target credit_risk): the same story, less work."""
    at = open_app()
    at.radio(key="w_source").set_value("Upload a file").run()
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["table"].name == "small_credit.csv"
    return at


def test_a_new_generation_is_what_the_comparison_judges_next(small_credit_csv):
    at = open_small(small_credit_csv)
    at.session_state["comparison_strategy"] = "threshold_tuned"  # 'use this: Tuned threshold only' on Method
    at = go(at, "generation")
    assert "The measured advice is not to generate" in at.info[0].value  # the advice first
    assert at.selectbox(key="w_gen_method").value is None  # no generator preselected under that advice
    at.selectbox(key="w_gen_method").set_value("smotenc").run()
    at.checkbox(key="w_confirm_generate").check().run()  # asked before it changes what the Comparison judges
    at.button(key="generate").click().run()
    assert not at.exception
    method = at.session_state["generation_settings"]["method"]
    at = go(at, "comparison")
    assert at.selectbox(key="w_strategy").value == method  # the new rows, not the strategy chosen before
    at.slider(key="w_repeats").set_value(1).run()
    at.button(key="run_comparison").click().run()
    assert not at.exception
    result = at.session_state["experiment"]
    assert result.synthetic is not None and result.comparison.subject == "augmented_tuned"


def test_validation_pages_say_not_needed_when_the_strategy_makes_no_rows():
    at = open_app()
    at.session_state["comparison_strategy"] = "class_weighted"
    for page in ("quality", "coverage", "privacy"):
        at = go(at, page)
        assert not errors(at)
        assert at.info[0].value.startswith("Not needed for the strategy you chose (class weights with a tuned "
                                           "threshold, no synthetic rows)"), page
    # an untuned strategy too (the page's own two-entry word list raised KeyError for these)
    at.session_state["comparison_strategy"] = "as_is"
    at = go(at, "quality")
    assert not at.exception and not errors(at)
    assert at.info[0].value.startswith("Not needed for the strategy you chose (the untuned baseline, no synthetic "
                                       "rows)")


def test_method_chosen_only_after_a_choice():
    at = go(open_app(), "method")
    assert at.selectbox(key="w_method_choice").value == "smotenc"  # preselected, first in the ranking
    at.run()
    assert "chosen_method" not in at.session_state  # what the sidebar's 'Method chosen' reads
    at.selectbox(key="w_method_choice").set_value("random_oversampler").run()
    assert not at.exception
    assert at.session_state["chosen_method"] == at.session_state["v_gen_method"] == "random_oversampler"


def test_the_summary_names_the_failing_check_and_its_value():
    from core import summary as _summary
    from core.validation.verdict import judge
    passing = {"quality_score": 0.9, "detection_auc": 0.6, "exact_copy_share": 0.0, "near_copy_share": 0.0,
               "dcr_share_vs_holdout": 0.5, "precision": 0.9, "class_representation": 0.9}
    assert _summary.failing_checks(judge(passing)) == ""
    rejected = judge({**passing, "detection_auc": 0.97, "quality_score": 0.7})
    assert rejected.decision.value == "rejected"
    # a banner lists only the checks at its own level: the refine-level quality score is apart
    assert _summary.failing_checks(rejected) == "detection AUC 0.97 is above 0.95"
    from core.summary import banner_text
    assert banner_text(rejected).startswith("Verdict: Rejected. detection AUC 0.97 is above 0.95. Also to refine: "
                                            "quality score 0.7 is below 0.8.")
    refine = judge({**passing, "quality_score": 0.7})
    assert _summary.failing_checks(refine) == "quality score 0.7 is below 0.8"
    # one copy of the words and colours: the pages and the Summary hold core's own objects, not copies of them
    from core import summary
    from core.validation import verdict
    from pages import _palette
    assert _palette.DECISION_LABELS is summary.VALIDATION_LABELS is verdict.VALIDATION_LABELS
    assert _palette.DECISION_COLOURS is summary.VALIDATION_COLOURS is verdict.VALIDATION_COLOURS


def test_a_new_session_says_the_sample_is_loaded_and_a_new_sample_forgets_a_stopped_run():
    at = open_app()  # what a browser reload gives: a new session
    assert [t.value for t in at.toast][0].startswith("A new session: the sample german_credit.csv is loaded.")
    at.run()
    assert not at.toast  # said once, not on every rerun
    at.session_state["running"] = True  # a generation on the first table was stopped
    at = use_sample(at, "hypothyroid.csv")
    at = go(at, "generation")
    assert not any("was stopped" in w.value for w in at.warning)
