"""The stakeholder Summary at the top of the Report page: one screen (1400 x 900) in large type with the dataset,
the imbalance, what was tried, the validation verdict and the comparison verdict, each with its key figures and
one chart. Its figures and the HTML card to download are built in core (core.summary, from the decision record);
this module only draws them, escaping every string where it renders it (core.text; core.plots.inert). The card and
the failing checks' words are core.summary's (to_html, failing_checks): the Report page imports them from there.
"""
from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.evaluation import Decision
from core.pipeline import ExperimentResult
from core.plots import inert
from core.summary import GROUP_COLOURS, arms_table, facts  # the Summary is built in core; this module draws it
from core.text import escape_markdown
from pages import _palette

CHART_HEIGHT = 240  # both charts end above the fold of a 1400 x 900 screen (a validation reason and the kept line)
FONT = {"size": 16}


def _style(figure: go.Figure, title: str) -> go.Figure:
    figure.update_layout(title=title, height=CHART_HEIGHT, font=FONT, margin={"t": 50, "b": 10, "l": 10, "r": 10},
                         legend={"orientation": "h", "y": -0.15, "title": None})
    return figure


def coverage_chart(result: ExperimentResult) -> go.Figure | None:
    """Real minority, real majority and synthetic rows on the run's PCA map."""
    if result.validation is None:
        return None
    points = result.validation.pca.points
    figure = px.scatter(points, x="x", y="y", color="group", color_discrete_map=GROUP_COLOURS, opacity=0.6,
                        labels={"x": "", "y": ""})
    figure.update_xaxes(showticklabels=False)
    figure.update_yaxes(showticklabels=False)
    return _style(figure, "Where the synthetic rows fall (PCA map)")


def arms_chart(result: ExperimentResult) -> go.Figure:
    """Minority F1 on the untouched test rows per approach, with its 95% interval."""
    figure = px.bar(arms_table(result), x="approach", y="minority F1", error_y="high", error_y_minus="low",
                    color="synthetic", color_discrete_map={True: "#e07b39", False: "#9aa9b2"}, text_auto=".2f")
    figure.update_traces(textposition="inside", insidetextanchor="middle", textfont={"color": "white", "size": 16})
    figure.update_layout(showlegend=False)
    figure.update_xaxes(title=None)
    return _style(figure, "Minority F1 on the test rows, by approach")


def draw(result: ExperimentResult, decision: str | None, why: str = "") -> None:
    """The one-screen Summary: large type, two verdicts with their figures and one chart each. why: the failing
    validation checks with their values (failing_checks)."""
    f = {k: escape_markdown(v) for k, v in facts(result, decision).items()}  # metric values are Markdown too
    st.markdown(f"## Summary: {f['dataset']}")
    st.caption(f"Target {f['target']}; {f['rows']} rows. For a projector: one screen at 1400 x 900.")
    top = st.columns(4)
    top[0].metric("Rare class", f["minority"], f"{f['minority_rows']} rows, {f['minority_share']}", delta_color="off",
                  delta_arrow="off")
    top[1].metric("Imbalance", f["ratio"])
    top[2].metric("Tried", f["method"], f"{f['synthetic_rows']} synthetic rows", delta_color="off", delta_arrow="off")
    top[3].metric("Judged on", f"{f['repeats']} split(s)", f["classifier"], delta_color="off", delta_arrow="off")
    left, right = st.columns(2, gap="large")
    with left:
        box = _palette.decision_box(decision) if decision else st.info
        box(f"**Validation: {f['decision']}**" + (f": {escape_markdown(why)}" if why else ""))
        figures = st.columns(3)
        figures[0].metric("Quality score", f["quality"], help="0..1, higher is closer to the real minority")
        figures[1].metric("Detection AUC", f["detection"], help="0.5: a model cannot tell synthetic from real")
        figures[2].metric("Exact copies", f["copies"], help="Synthetic rows identical to a training row")
        chart = coverage_chart(result)
        if chart is not None:
            st.plotly_chart(inert(chart), width="stretch", key="summary_coverage")
    with right:
        box = {Decision.NO_GENERATION: st.info, Decision.EARNED: st.success, Decision.WORSE: st.error}.get(
            result.comparison.decision, st.warning)  # colours from the enum; no synthetic rows: a choice
        box(f"**Comparison: minority F1 {f['f1_before']} → {f['f1_after']}: {f['verdict_words']}**")
        st.caption(f"Kept: {f['kept']}")
        figures = st.columns(3)
        figures[0].metric("Minority F1 gain", f["f1_gain"],
                          help=f"At tuned thresholds, against {f['reference']}" + f["f1_interval"])
        figures[1].metric("PR-AUC gain", f["pr_gain"], help=f"Against {f['reference']}, the same reference")
        figures[2].metric("Tuned threshold F1", f["f1_threshold"],
                          help="The baseline with its decision threshold tuned on its training rows, no synthetic rows")
        st.plotly_chart(inert(arms_chart(result)), width="stretch", key="summary_arms")
    st.caption(f["verdict"])
    if f["privacy"]:  # a private generator: (epsilon, delta), what is public, whether the release is covered
        st.caption(f["privacy"])
