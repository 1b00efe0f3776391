"""Getting the current stage results for a page, with analyst-facing errors instead of tracebacks."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from core.data import Dataset
from core.errors import SynthBalanceError
from core.identity import dataset_key
from core.samples import DEFAULT_SAMPLE, SAMPLES
from core.text import escape_markdown
from pages import _cached, _palette, _state

if TYPE_CHECKING:  # loaded by the pages that use them, keeping the first screen light
    from core.imbalance import ImbalanceProfile
    from core.pipeline import Prepared
    from core.validation.validate import ValidationResult


def ensure_table() -> None:
    """First visit: the default real sample is loaded, so the analyst sees data without uploading."""
    if _state.table() is None:
        _state.set_table(_cached.sample_table(DEFAULT_SAMPLE), f"sample:{DEFAULT_SAMPLE}", SAMPLES[DEFAULT_SAMPLE][1])
        # a browser reload starts a new session: say so rather than silently swap the table the analyst had
        st.toast(f"A new session: the sample {DEFAULT_SAMPLE} is loaded. (A browser reload starts a new session; "
                 "load your own file again on the Data page.)", icon=":material/info:", duration="long")


def dataset_check() -> tuple[Dataset | None, str | None]:
    """(dataset, None) when the loaded table passes the checks for its target, else (None, the reason).

    A target that leaves no usable feature is a problem too: every later step needs at least one feature."""
    table, target = _state.table(), _state.target()
    if table is None or target is None:
        return None, None
    try:
        dataset = _cached.dataset(table.sha256, target, tuple(sorted(_state.type_overrides().items())), table)
    except SynthBalanceError as exc:
        return None, str(exc)
    if not dataset.features:
        return None, (f"With '{target}' as the target no feature column is left to learn from (the others are "
                      "identifiers, constants or empty). Choose the column that holds the classes.")
    return dataset, None


def current_dataset(show_error: bool = True) -> Dataset | None:
    """The validated dataset; when the table fails a check, the page names the problem and links to the fix."""
    dataset, problem = dataset_check()
    if problem and show_error:
        table = _state.table()
        st.error(f"**{escape_markdown(table.name)}** is loaded but cannot be used yet: {escape_markdown(problem)}")
        st.page_link("pages/data.py", label="Fix it on the Data page", icon=":material/build:")
    return dataset


def working_on(dataset: Dataset) -> None:
    """One line naming the table and target a page works on, and an upload that was not loaded."""
    st.caption(f"Table in use: **{escape_markdown(dataset.name)}**, target **{escape_markdown(dataset.target)}**, "
               f"{len(dataset.frame):,} rows.")
    failed = _state.failed_upload()
    if failed:
        st.warning(f"The upload **{escape_markdown(failed['name'])}** was not loaded; this page works on "
                   f"**{escape_markdown(dataset.name)}**.")


def current_profile(dataset: Dataset) -> ImbalanceProfile:
    return _cached.profile(dataset_key(dataset), dataset)


def current_advice(prepared: Prepared):
    """The advisor's ranking for this prepared data (cached by content and settings)."""
    profile = prepared.advisor_profile  # typology of the training part only
    return _cached.advice(dataset_key(prepared.dataset), _state.test_size(), _state.seed(),
                          _state.cleaning_plan(), profile, prepared.train_class_counts.get(profile.minority_class, 0))


def current_prepared(show_error: bool = True, name_table: bool = True) -> Prepared | None:
    """The split and cleaned data; with show_error, problems are drawn and (name_table) the table is named."""
    dataset = current_dataset(show_error)
    if dataset is None:
        return None
    if show_error and name_table:
        working_on(dataset)
    try:
        prepared = _cached.prepared(dataset_key(dataset), _state.test_size(), _state.seed(),
                                    _state.cleaning_plan(), dataset)
        _state.mark_prepared(prepared)
        return prepared
    except SynthBalanceError as exc:
        if show_error:
            st.error(f"{escape_markdown(exc)} (Change the split or cleaning settings on the Imbalance analysis page.)")
            st.page_link("pages/analysis.py", label="Fix it on the Imbalance analysis page", icon=":material/build:")
            return None


def need(value, message: str, page: str, label: str):
    """Stop the page with a pointer to the step that provides what is missing (unless the real problem with the
    data is named: current_dataset showed it, with its own link)."""
    if value is None:
        if dataset_check()[1] is None:
            st.info(message)
            st.page_link(page, label=label)
        st.stop()
    return value


def current_synthetic(prepared: Prepared):
    """The session's synthetic rows if they came from this prepared data; else stop with a pointer."""
    result = _state.synthetic()
    if result is None or not _state.synthetic_matches(prepared):
        from core.strategies import STRATEGIES
        strategy = _state.comparison_strategy()
        if strategy in STRATEGIES:  # the analyst chose a strategy without synthetic rows: not a missing step
            need(None, f"Not needed for the strategy you chose ({STRATEGIES[strategy].chosen_words}): it "
                       "makes no synthetic rows, so there is nothing to check here.", "pages/comparison.py",
                 "Go to Comparison")
        need(None, "Generate synthetic rows first.", "pages/generation.py", "Go to Generation")
    if len(result.rows) == 0:  # e.g. every row was dropped as a copy: a state with a message, not an error
        from core.validation.validate import NO_ROWS_LEFT
        st.warning(NO_ROWS_LEFT)
        st.page_link("pages/generation.py", label="Go to Generation to generate again",
                     icon=":material/arrow_back:")
        st.stop()
    return result


def current_validation(prepared: Prepared, synthetic) -> ValidationResult | None:
    """Validate the session's synthetic rows once (kept in the session), showing errors instead of raising."""
    from core.validation.validate import validate_synthetic
    result = _state.validation()
    if result is None:
        dataset = prepared.dataset
        try:
            with st.spinner("Validating the synthetic rows against the training minority..."):
                result = validate_synthetic(prepared.train, prepared.test, synthetic.rows, dataset.target,
                                            dataset.features, dataset.column_types, _state.seed(), _state.thresholds(),
                                            cleaning=prepared.cleaning)
        except SynthBalanceError as exc:
            st.error(escape_markdown(exc))
            return None
        _state.set_validation(result)
        st.rerun()  # redraw with the sidebar's progress up to date; the result is kept in the session
    return result


def judged(result: ValidationResult):
    """The verdict under the session's thresholds (core's judge, not a page computation)."""
    from core.validation.verdict import judge
    return judge(result.check_values(), _state.thresholds())


def verdict_banner(result: ValidationResult) -> None:
    """The decision under the session's thresholds, with every failed and every unmeasured check named."""
    from core.summary import banner_text
    verdict = judged(result)
    head, _, rest = banner_text(verdict).partition(". ")  # only the checks at the decision's own level
    _palette.decision_box(verdict.decision)(f"**{head}.** {rest}")


def next_link(page: str, label: str) -> None:
    """The link to the following step, at the end of every page."""
    st.divider()
    st.page_link(page, label=label, icon=":material/arrow_forward:")


def validated():
    """(prepared, synthetic, validation) for the validation pages; stops the page with a pointer when a step
    before is missing or validation failed."""
    prepared = need(current_prepared(), "Prepare the data first.", "pages/analysis.py", "Go to Imbalance analysis")
    synthetic = current_synthetic(prepared)
    result = current_validation(prepared, synthetic)
    if result is None:
        st.stop()
    return prepared, synthetic, result
