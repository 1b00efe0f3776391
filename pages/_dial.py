"""The privacy-utility dial on the Duplicates & privacy page: a differentially private generator run at several
epsilons (core.sweep), drawn as utility against epsilon with the privacy figures beside it and the answer."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.config import MAX_REPEATS, RunConfig, build_run_config
from core.errors import SynthBalanceError
from core.estimates import private_training
from core.evaluation import Targets
from core.generators.base import SyntheticResult
from core.generators.dp_guarantee import guarantee_headline
from core.generators.registry import METHOD_LABELS, REGISTRY
from core.identity import prepared_key
from core.models import CLASSIFIERS
from core.pipeline import Prepared
from core.sweep import DEFAULT_EPSILONS, UTILITY_METRICS, SweepResult, parse_epsilons, readable_table, run_sweep
from core.text import escape_markdown
from pages import _cached, _longjob, _state

EPSILON_WORDS = ("Epsilon is the privacy budget: how much any one person's row can change what the generator "
                 "learns (smaller is more private and noisier; 1 is a common choice).")
DELTA_WORDS = ("Delta is the chance that the guarantee fails altogether (for example by publishing one row as it is); "
               "it is kept far below one in the number of rows.")
PUBLIC_NOTE = ("Treated as public, not paid for from the budget: each class's number of rows (so neighbouring tables "
               "differ by one replaced row), the column types you confirmed on the Data page, and the category levels "
               "and number ranges you declare public on the Generation page. Levels and ranges you do not declare "
               "are read from the rows, and the release is then not covered.")


def guarantee_note(synthetic: SyntheticResult) -> None:
    """What the current synthetic rows are protected by, in words: the guarantee, what is public and whether the
    release is covered (the same sentences as the card and the Summary)."""
    guarantee = synthetic.privacy
    if guarantee is None:
        st.caption(f"The current rows come from {REGISTRY[synthetic.method_used].label}, which has no formal "
                   "guarantee: the figures above measure risk after the fact. A differentially private generator "
                   "bounds it in advance.")
        return
    box = st.info if guarantee.release_covered else st.warning
    box(escape_markdown(f"{guarantee_headline(guarantee)} Accountant: {guarantee.accountant}, {guarantee.library}. "
                        f"It protects {guarantee.protects}."))
    st.caption(EPSILON_WORDS + " " + DELTA_WORDS)


def generation_note(params: dict, train_counts: dict[str, int], counts: dict[str, int], n_columns: int) -> None:
    """On the Generation page, for a private generator: epsilon and delta in words, the rows protected, what is
    taken as public, and the time estimate."""
    per_class = params.get("mode") == "per_class"
    trained, deltas, seconds = private_training(params, train_counts, counts, n_columns)
    if params.get("privacy") == "none":
        st.warning("Privacy is off: the same VAE without noise or clipping. Its rows carry no guarantee.")
    else:
        st.info(f"Guarantee asked for: epsilon {float(params.get('epsilon', 1.0)):g} with delta "
                + ", ".join(f"{d:.2g} ({escape_markdown(str(c))}: {trained[c]:,} rows)" for c, d in deltas.items())
                + ". It protects the rows each model trains on: "
                + ("the training rows of each class generated for." if per_class else "every training row.")
                + " The epsilon actually spent is reported by opacus' accountant after training.")
        st.caption(EPSILON_WORDS + " " + DELTA_WORDS)
    st.caption(PUBLIC_NOTE + f" Estimated training time on this 2-core machine: about {seconds:,.0f} s "
               "(measured with bench/dp_speed.py).")


def _config(prepared: Prepared, method: str, epochs: int, classifier: str, repeats: int, gain: float) -> RunConfig:
    """The Generation page's amount, rules and filter with the dial's method and settings (core's one builder;
    the copies dropped on the Privacy page are not the dial's: each point generates its own rows)."""
    dataset, settings = prepared.dataset, _state.generation_settings() or {}
    return build_run_config(dataset.target, method, data=dataset.name, data_sha256=dataset.sha256,
                            generation={k: v for k, v in settings.items() if k in ("amount", "constraints", "density")},
                            column_types=_state.type_overrides(), cleaning=_state.cleaning_plan(),
                            test_size=_state.test_size(), seed=_state.seed(), params={"epochs": int(epochs)},
                            classifier=classifier, repeats=int(repeats), targets=Targets(float(gain)))


FIGURE_WORDS = {"dcr_share_vs_holdout": "Share closer to training than to unseen rows (0.5 ideal)",
                "detection_auc": "How well a model tells synthetic from real (AUC, 0.5 ideal)",
                "quality_score": "Quality score (1 best)"}


def _epsilon_axis(figure: go.Figure, epsilons: list[float]) -> go.Figure:
    """A log epsilon axis labelled at the epsilons tried (0.5, 1, 2, 4, 8), not at plotly's 2, 5 decades."""
    figure.update_xaxes(type="log", tickmode="array", tickvals=epsilons, ticktext=[f"{e:g}" for e in epsilons],
                        title="epsilon, the privacy budget (log scale; smaller is more private)")
    return figure


def _utility_chart(result: SweepResult, table: pd.DataFrame) -> go.Figure:
    metric = result.utility_metric
    private = table.loc[table["private"] & table["error"].isna()]
    figure = go.Figure(go.Scatter(
        x=private["epsilon"], y=private[f"{metric}_gain"], mode="lines+markers", name="private generator",
        error_y={"type": "data", "symmetric": False,
                 "array": private[f"{metric}_gain_ci_high"] - private[f"{metric}_gain"],
                 "arrayminus": private[f"{metric}_gain"] - private[f"{metric}_gain_ci_low"]}))
    figure.add_hline(y=result.utility_target, line_dash="dash", line_color="#b03a2e",
                     annotation_text=f"your target {result.utility_target:+.3f}")
    reference = table.loc[~table["private"] & table["error"].isna()]
    if len(reference):
        figure.add_hline(y=float(reference[f"{metric}_gain"].iloc[0]), line_dash="dot", line_color="#5d6d7e",
                         annotation_text="without privacy", annotation_position="bottom right")
    figure.update_layout(title=f"{UTILITY_METRICS[metric]} gain over the best option without synthetic rows",
                         yaxis_title="gain, with its 95% interval", showlegend=False)
    return _epsilon_axis(figure, sorted(private["epsilon"].tolist()))


def _privacy_chart(table: pd.DataFrame) -> go.Figure:
    private = table.loc[table["private"] & table["error"].isna()]
    long = private.melt(id_vars="epsilon", value_vars=list(FIGURE_WORDS), var_name="figure", value_name="value")
    long["figure"] = long["figure"].map(FIGURE_WORDS)
    figure = px.line(long.dropna(subset=["value"]), x="epsilon", y="value", color="figure", markers=True,
                     title="Privacy and fidelity of the rows (first split)", labels={"value": "value", "figure": ""})
    figure.update_layout(legend={"orientation": "h", "y": -0.35})
    figure.add_hline(y=0.5, line_dash="dot", line_color="#5d6d7e", annotation_text="0.5: ideal for the first two")
    return _epsilon_axis(figure, sorted(private["epsilon"].tolist()))


def draw_result(result: SweepResult) -> None:
    """The answer, the two charts side by side, and the table."""
    (st.success if result.smallest_epsilon is not None else st.warning)(escape_markdown(result.answer))
    table = result.table()
    left, right = st.columns(2)
    left.plotly_chart(_utility_chart(result, table), width="stretch", key="dial_utility_chart")
    right.plotly_chart(_privacy_chart(table), width="stretch", key="dial_privacy_chart")
    for row in table.loc[table["error"].notna()].itertuples():
        st.warning(escape_markdown(f"epsilon {row.epsilon:g}: {row.error}" if row.private
                                   else f"without privacy: {row.error}"))
    st.dataframe(readable_table(result), hide_index=True, width="stretch", key="dial_table")


def draw_dial(prepared: Prepared, synthetic: SyntheticResult) -> None:
    """The whole section: the current rows' guarantee, the sweep's settings, the run, and the result."""
    st.divider()
    st.subheader("Privacy-utility dial")
    guarantee_note(synthetic)
    st.caption("Run a differentially private generator at several privacy budgets (epsilon: smaller is more "
               "private) and see what each costs in model quality, to choose the smallest epsilon that still meets "
               "your target: the gain earned by the Comparison's one rule (its 95% interval above 0, its mean at "
               "or above the target; no interval under 3 repeats). Every point is a "
               "whole comparison on the same splits; delta is min(1/n^1.1, 1e-6) for the n rows each model trains "
               "on. " + EPSILON_WORDS + " " + DELTA_WORDS + " " + PUBLIC_NOTE + " The sweep itself is not a private "
               "release: it trains many models on the same rows, so use it where you may see the data, then release "
               "the rows of one run. The private points' figures vary from run to run, by design (their noise is "
               "never recorded); the point without privacy is reproducible by seed.")
    private_methods = [name for name, info in REGISTRY.items() if info.differentially_private]
    c = st.columns(3)
    method = c[0].selectbox("Private generator", private_methods, format_func=METHOD_LABELS.get,
                            **_state.setting("dial_method", private_methods[0], private_methods))
    epsilons_text = c[1].text_input("Privacy budgets to try (epsilon)", **_state.setting("dial_epsilons",
                                                                 ",".join(f"{e:g}" for e in DEFAULT_EPSILONS)),
                                    help="Comma-separated, e.g. 0.5,1,2,4,8.")
    epochs = c[2].number_input("Training epochs", 1, 1000, step=5, **_state.setting("dial_epochs", 30))
    d = st.columns(3)
    classifier = d[0].selectbox("Classifier", list(CLASSIFIERS), format_func=CLASSIFIERS.get,
                                **_state.setting("dial_classifier", "logreg", list(CLASSIFIERS)))
    repeats = d[1].slider("Repeated splits per epsilon", 1, MAX_REPEATS, **_state.setting("dial_repeats", 3))
    gain = d[2].number_input("Minority F1 gain you need (over the best option without synthetic rows)", -1.0, 1.0,
                             step=0.01, format="%.3f", **_state.setting("dial_target", 0.0))
    reference = st.toggle("Also run the same generator without privacy (reference point)",
                          **_state.setting("dial_reference", True))
    for name, value in (("dial_method", method), ("dial_epsilons", epsilons_text), ("dial_epochs", epochs),
                        ("dial_classifier", classifier), ("dial_repeats", repeats), ("dial_target", gain),
                        ("dial_reference", reference)):
        _state.keep(name, value)
    _longjob.stopped_notice("sweep")
    try:
        points = len(parse_epsilons(epsilons_text))
    except SynthBalanceError:
        points = 0  # the run says what is wrong with the list
    seconds = _cached.sweep_estimate(prepared, prepared_key(prepared), method, int(epochs), points,
                                     bool(reference), int(repeats), classifier) if points else None
    _longjob.estimate_note(seconds, "The sweep")
    if st.button("Run the sweep", key="dial_run"):
        with _longjob.running("sweep", "The privacy-utility sweep", seconds, "Duplicates & privacy") as job:
            result = run_sweep(prepared.dataset, _config(prepared, method, epochs, classifier, repeats, gain),
                               parse_epsilons(epsilons_text), include_non_private=reference,
                               scheduler=_state.scheduler(), progress=job.progress)
        if job.finished:
            _state.set_privacy_sweep(result, prepared)
    result = _state.privacy_sweep(prepared)
    if result is not None:
        draw_result(result)
