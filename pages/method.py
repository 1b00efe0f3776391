"""Method: the advisor's ranking with reasons, the Method Evaluation Matrix, and notes on each method."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.generators.registry import METHOD_LABELS, REGISTRY
from core.identity import prepared_key
from core.models import CLASSIFIERS
from core.text import escape_markdown
from pages import _cached, _flow, _longjob, _state

st.title("Method")
prepared = _flow.need(_flow.current_prepared(), "Prepare the data first.", "pages/analysis.py",
                      "Go to Imbalance analysis")
profile = prepared.profile
train_minority = prepared.train_class_counts.get(profile.minority_class, 0)
advice = _flow.current_advice(prepared)

best = advice.best
race_key = (prepared_key(prepared), _state.remembered("race_classifier", "logreg"),
            int(_state.remembered("race_folds", 5)), float(_state.remembered("race_budget", 120)),
            float(_state.remembered("race_margin", 0.0)))
measured_before = _state.race(race_key)
if measured_before is None:
    st.info(f"Instant ranking: **{best.label}** ({best.family}) ranks first - "
            f"{escape_markdown('; '.join(best.reasons))}. This is read from the data's shape, not measured: "
            "**Measure on my data** below checks whether generating helps your model at all.")
else:
    from core.strategies import strategy_words

    st.success(f"Measured on your training rows: **{strategy_words(measured_before.recommended)}** "
               f"({'no synthetic rows' if measured_before.kind == 'no_generation' else 'a generator'}). The instant "
               f"ranking put {best.label} first.")
ranking = pd.DataFrame([{"rank": i + 1, "method": r.label, "family": r.family, "usable": "yes" if r.usable else "no",
                         # a method that cannot run on these columns has no score: the scores fall with the rank
                         "score": f"{r.score:g}" if r.usable else "", "why": "; ".join(r.reasons)}
                        for i, r in enumerate(advice.ranked)])
st.subheader("Ranking for this dataset")
st.caption(f"From the profile: {train_minority:,} training rows of '{escape_markdown(profile.minority_class)}', "
           f"{profile.n_features} features ({', '.join(f'{n} {k}' for k, n in profile.feature_kinds.items())}).")
st.dataframe(ranking.drop(columns="why"), hide_index=True, width="stretch", key="ranking")
with st.expander("Why each method ranks where it does", expanded=True):  # full reasons, wrapped, one per row
    st.markdown("\n".join(f"{row['rank']}. **{row['method']}**: {escape_markdown(row['why'])}."
                            for row in ranking.to_dict("records")))
st.subheader("Method evaluation matrix")
st.dataframe(advice.matrix, hide_index=True, width="stretch", key="matrix")

usable = [r.method for r in advice.ranked if r.usable]
chosen = _state.chosen_method() if _state.chosen_method() in usable else None
advised_none = measured_before is not None and measured_before.kind == "no_generation"
if advised_none and chosen is None:  # no generator sits preselected under advice not to generate
    # set, not popped: the browser sends back the value it showed (the first in the ranking) with the rerun
    st.session_state["w_method_choice"] = None
    current = None
else:
    current = chosen or usable[0]


def _choose() -> None:
    """Only the analyst's pick counts as a choice (the sidebar's 'Method chosen'), not the preselected first."""
    picked = st.session_state.get("w_method_choice")
    if picked is not None:
        _state.set_chosen_method(picked)
        _state.keep("gen_method", picked)  # the Generation page opens on the method chosen here
        st.session_state.pop("w_gen_method", None)


st.selectbox("Method to use", usable, index=None if current is None else usable.index(current),
             format_func=METHOD_LABELS.get, key="w_method_choice", on_change=_choose,
             placeholder="None: the measurement advises no synthetic rows",
             help="Choose one to try generating anyway." if advised_none else None)

st.subheader("Measure on my data")
st.caption("The ranking above is instant and blind. This races the candidate strategies with cross-validation on "
           "your training part only (the test part is never touched) and recommends the one with the highest mean "
           "minority F1 over repeated folds: it may well say \"do not generate\".")
r1, r2, r3 = st.columns(3)
race_classifier = r1.selectbox("Classifier", list(CLASSIFIERS), format_func=CLASSIFIERS.get,
                               **_state.setting("race_classifier", "logreg", list(CLASSIFIERS)))
race_folds = r2.slider("Folds", 2, 10, **_state.setting("race_folds", 5))
race_budget = r3.number_input("Time budget for slow generators (s)", 10, 3600, step=10,
                              **_state.setting("race_budget", 120),
                              help="CTGAN and TVAE enter the race only when their estimated time fits.")
race_margin = st.number_input("Margin in favour of no synthetic rows (minority F1)", 0.0, 0.5, step=0.01,
                              **_state.setting("race_margin", 0.0),
                              help="0: the highest mean wins. With a margin, a generator must lead the best "
                                   "strategy without synthetic rows by more than this; the result says what it "
                                   "cost on the folds.")
for name, value in (("race_classifier", race_classifier), ("race_folds", race_folds), ("race_budget", race_budget),
                    ("race_margin", race_margin)):
    _state.keep(name, value)
race_key = (prepared_key(prepared), race_classifier, int(race_folds), float(race_budget), float(race_margin))
_longjob.stopped_notice("race")
race_seconds = _cached.race_estimate(prepared, race_key[0], race_classifier, int(race_folds), float(race_budget),
                                     _state.n_jobs())
_longjob.estimate_note(race_seconds, "The measurement")
if st.button("Measure on my data", type="primary", key="run_race"):
    from core.race import race_prepared

    with _longjob.running("race", "The measurement", race_seconds, "Method") as job:
        measured = race_prepared(prepared, race_classifier, int(race_folds), float(race_budget),
                                 n_jobs=_state.n_jobs(), scheduler=_state.scheduler(), progress=job.progress,
                                 margin=float(race_margin))
    if job.finished:
        _state.set_race(race_key, measured)
        st.rerun()  # redraw with the measured recommendation at the top of the page
measured = _state.race(race_key)
if measured is not None:
    from core.strategies import strategy_words

    box = st.success if measured.kind == "no_generation" else st.info
    box(f"Measured recommendation: **{strategy_words(measured.recommended)}**. {escape_markdown(measured.explanation)}")
    ran = [c for c in measured.candidates if c.ran]
    chart = go.Figure()
    for metric, colour in (("minority_f1", "#2f6f8f"), ("pr_auc", "#e07b39")):
        chart.add_trace(go.Bar(
            name="minority F1" if metric == "minority_f1" else "PR-AUC",
            x=[c.label for c in ran], y=[getattr(c, metric).mean for c in ran], marker_color=colour,
            error_y={"type": "data", "symmetric": False,
                     "array": [getattr(c, metric).ci_high - getattr(c, metric).mean for c in ran],
                     "arrayminus": [getattr(c, metric).mean - getattr(c, metric).ci_low for c in ran]}))
    chart.update_layout(barmode="group", title=f"Cross-validated on {measured.folds} folds x {measured.repeats} "
                        "repeats of the training part (corrected 95% intervals)", yaxis_title="score", height=420)
    st.plotly_chart(chart, width="stretch", key="race_chart")
    st.dataframe(pd.DataFrame([{
        "strategy": c.label, "threshold": "tuned" if c.tuned else "0.5",
        "minority F1": "" if not c.ran else f"{c.minority_f1.mean:.3f}",
        "F1 95% CI": "" if not c.ran else f"{c.minority_f1.ci_low:.3f} to {c.minority_f1.ci_high:.3f}",
        "PR-AUC": "" if not c.ran else f"{c.pr_auc.mean:.3f}",
        "vs best": "" if not c.ran or c.vs_best is None else f"{c.vs_best.mean:+.3f}",
        "seconds": round(c.seconds, 1), "note": c.note} for c in measured.candidates]),
        hide_index=True, width="stretch", key="race_table")
    st.caption(f"Measured in {measured.seconds:.1f} s (estimated {measured.estimated_seconds:.0f} s). Intervals: "
               f"{measured.correction}.")
    st.caption(f"Use this carries the race's classifier ({CLASSIFIERS[measured.classifier]}) to the Comparison.")
    if st.button(f"Use this: {strategy_words(measured.recommended)}", key="use_race"):
        _state.use_race(measured, prepared)
        if measured.kind == "generator" and measured.recommended in usable:
            _state.keep("gen_method", measured.recommended)
            st.session_state.pop("w_gen_method", None)
            _state.set_chosen_method(measured.recommended)
        st.switch_page("pages/comparison.py" if measured.kind == "no_generation" else "pages/generation.py")

st.subheader("About the methods")
for r in advice.ranked:
    info = REGISTRY[r.method]
    with st.expander(f"{info.label} - {info.family}, {info.library}"):
        st.write(info.summary)
        st.write(f"**Strengths:** {info.pros}")
        st.write(f"**Limits:** {info.limits}")
        st.caption(f"Cost: {info.cost}; tuning effort: {info.tuning}; "
                   f"minimum minority rows: {info.min_minority_rows}.")
st.page_link("pages/generation.py", label="Next: generate", icon=":material/arrow_forward:")
