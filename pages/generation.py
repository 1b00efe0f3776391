"""Generation: method and parameters, amount, constraints, then a run with progress, the result and downloads."""
from __future__ import annotations

import hashlib

import pandas as pd
import plotly.express as px
import streamlit as st

from core.config import parse_levels
from core.constraints import build_constraints, limit_bounds
from core.encoding import level_columns, number_columns
from core.errors import GenerationCancelled, SynthBalanceError
from core.estimates import first_use_seconds
from core.export import to_csv_text
from core.generators.amount import Amount
from core.generators.deep import estimate_seconds, format_seconds
from core.generators.density import DensityFilter
from core.generators.dp_guarantee import guarantee_headline, noise_sentence
from core.generators.registry import METHOD_LABELS, METHOD_NAMES, REGISTRY
from core.identity import prepared_key
from core.pipeline import augmented, synthesize
from core.plots import inert
from core.strategies import STRATEGIES
from core.text import escape_markdown
from pages import _dial, _flow, _state

st.title("Generation")
prepared = _flow.need(_flow.current_prepared(), "Prepare the data first.", "pages/analysis.py",
                      "Go to Imbalance analysis")
dataset, profile = prepared.dataset, prepared.profile
train_counts = prepared.train_class_counts
if _state.is_running():
    st.warning("The last generation was stopped before it finished; nothing from it was kept.")
    _state.set_running(False)

strategy = _state.comparison_strategy()
if strategy in STRATEGIES:  # the advice first: this step is optional for the strategy chosen
    st.info(f"The measured advice is not to generate: you chose {STRATEGIES[strategy].chosen_words}. Generating is "
            "optional; the Comparison judges your choice without synthetic rows.")
    st.page_link("pages/comparison.py", label="Go to Comparison", icon=":material/arrow_forward:")
advice = _flow.current_advice(prepared)
advised_none = strategy in STRATEGIES
# after advice not to generate, no generator sits preselected: the analyst picks one to generate anyway
default_method = _state.chosen_method() or (None if advised_none else advice.best.method)
method = st.selectbox("Method", METHOD_NAMES, format_func=METHOD_LABELS.get,
                      placeholder="None: choose a generator to generate anyway",
                      **_state.setting("gen_method", default_method, METHOD_NAMES))
if method is None:
    st.stop()
_state.keep("gen_method", method)
info = REGISTRY[method]
st.caption(f"{info.summary} ({info.library})")
verdict = next(r for r in advice.ranked if r.method == method)
if not verdict.usable:
    st.warning(f"{info.label} does not fit this table: {escape_markdown('; '.join(verdict.reasons))}.")

st.subheader("How many rows")
rule = st.radio("Rule", ["ratio", "count"], horizontal=True,
                **_state.setting("amount_rule", "ratio", ["ratio", "count"]),
                format_func={"ratio": "target ratio to the majority", "count": "rows per smaller class"}.get)
_state.keep("amount_rule", rule)
majority = max(train_counts.values())
if rule == "ratio":
    value = st.slider("Minority : majority after augmentation", 0.05, 1.0, step=0.05,
                      **_state.setting("amount_ratio", 1.0))
else:
    value = st.number_input("Synthetic rows per smaller class", 1, 1_000_000, step=100,
                            **_state.setting("amount_count", max(1, majority - min(train_counts.values()))))
_state.keep(f"amount_{rule}", value)
amount = Amount(rule, float(value))
amount_ok = True
try:
    st.markdown("\n".join(f"- {escape_markdown(line)}" for line in amount.describe(train_counts)))
except SynthBalanceError as exc:
    st.error(escape_markdown(exc))
    amount_ok = False

st.subheader("Parameters")
params = {}
if info.params:
    columns = st.columns(min(3, len(info.params)))
    for i, spec in enumerate(info.params):
        name = f"param_{method}_{spec.name}"
        box = columns[i % len(columns)]
        if spec.kind == "choice":
            params[spec.name] = box.selectbox(spec.display, spec.choices, help=spec.help,
                                              **_state.setting(name, spec.default, spec.choices))
        elif spec.kind == "int":
            params[spec.name] = box.number_input(spec.display, int(spec.low), int(spec.high), step=1,
                                                 **_state.setting(name, spec.default),
                                                 help=spec.help)
        else:
            params[spec.name] = box.number_input(spec.display, float(spec.low), float(spec.high),
                                                 **_state.setting(name, spec.default),
                                                 help=spec.help, format=spec.format or None,
                                                 step=spec.step or None)
        _state.keep(f"param_{method}_{spec.name}", params[spec.name])
else:
    st.caption("This method has no parameters.")
if info.differentially_private:
    _dial.generation_note(params, train_counts, amount.counts(train_counts) if amount_ok else {},
                          len(dataset.features))
elif info.slow:
    classes = amount.counts(train_counts) if amount_ok else {}
    class_rows = ([train_counts[c] for c in classes] or [0]) if params.get("mode") != "conditional" \
        else [sum(train_counts.values())]  # per_class: one model per generated class; conditional: one on all rows
    seconds = sum(estimate_seconds(method, n, len(dataset.features), int(params.get("epochs", 100)),
                                   int(params.get("batch_size", 500)))
                  for n in class_rows) + first_use_seconds(method)  # torch loads on the process's first fit
    budget = float(params.get("time_budget_s", 0))
    st.info(f"Estimated training time on this 2-core machine: about {format_seconds(seconds)} "
            f"({'capped at ' + format(budget, 'g') + ' s by the time budget' if budget else 'no time budget'}). "
            "A first guess from runs measured earlier on this machine; once the first epochs are timed, "
            "the progress bar shows the remaining time measured on this run.")

st.subheader("Domain constraints")
with st.expander("Limits and row rules", expanded=info.differentially_private):
    numbers = number_columns(dataset.features, dataset.column_types)
    numbers = [c for c in numbers if dataset.column_types[c] != "datetime"]
    observed = pd.DataFrame({"column": numbers,
                             "observed min": [float(prepared.train[c].min()) for c in numbers],
                             "observed max": [float(prepared.train[c].max()) for c in numbers]})
    observed["min"], observed["max"] = observed["observed min"], observed["observed max"]
    st.caption("Synthetic values always stay inside the observed training range; narrow a range here."
               if not info.differentially_private else
               "Under differential privacy the generator may only use ranges known without these rows: set min and "
               "max to the ranges you know from outside the data (a data dictionary, a form's limits), then "
               "confirm them below.")
    digest = hashlib.sha1(prepared_key(prepared).encode()).hexdigest()[:8]
    limits = st.data_editor(observed, hide_index=True, width="stretch", key=f"w_limits_{digest}",
                            disabled=["column", "observed min", "observed max"])
    ranges_public = categories = levels_public = False
    if info.differentially_private:  # under DP a range is public only when the analyst says so
        ranges_public = st.checkbox("These min and max values are public knowledge, not learned from these rows: "
                                    "the private generator may use them", **_state.setting("dp_ranges_public", False),
                                    help="Unticked, the generator scales and clips numbers to ranges read from the "
                                         "private rows, and the release is not covered by epsilon.")
        _state.keep("dp_ranges_public", ranges_public)
        categories = level_columns(dataset.features, dataset.column_types)
        if categories:  # like ranges: a category column's levels are public only when the analyst says so
            level_table = st.data_editor(
                pd.DataFrame({"column": categories, "levels": [
                    ", ".join(sorted(prepared.train[c].dropna().astype(str).unique())) for c in categories]}),
                hide_index=True, width="stretch", key=f"w_levels_{digest}", disabled=["column"])
            levels_public = st.checkbox("These category levels (comma-separated) are public knowledge, not learned "
                                        "from these rows: the private generator may use them",
                                        **_state.setting("dp_levels_public", False),
                                        help="Unticked, the generator learns the levels found in the private rows "
                                             "(a level held by one row would be revealed), and the release is not "
                                             "covered by epsilon.")
            _state.keep("dp_levels_public", levels_public)
    rules_text = st.text_area("Row rules, one per line", **_state.setting("rules", ""),
                              placeholder="age >= 18\nduration_months <= 72\n`credit amount` > 0",
                              help="Comparisons over columns (< <= > >= == !=), + - * /, and/or/not. "
                                   "Column names with spaces go in backticks.")
    _state.keep("rules", rules_text)
constraints, constraints_ok = None, True
try:
    bounds = limit_bounds([(row.column, row.min, row.max, row._2, row._3) for row in limits.itertuples()],
                          ranges_public)
    if info.differentially_private and categories and levels_public:
        bounds += [parse_levels(row.column, row.levels) for row in level_table.itertuples()]
    constraints = build_constraints(list(prepared.train.columns), rules_text.splitlines(), bounds)
    if not constraints.is_empty:
        narrowed = len({b.column for b in constraints.bounds})
        st.caption(f"{len(constraints.rules)} rule(s) and {narrowed} narrowed range(s) apply.")
except SynthBalanceError as exc:
    st.error(escape_markdown(exc))
    constraints_ok = False

use_density = st.toggle("Density filter: drop synthetic rows that land among other classes",
                        **_state.setting("density_on", False))
_state.keep("density_on", use_density)
density = None
if use_density:
    c1, c2 = st.columns(2)
    k = c1.slider("Neighbours (k)", 1, 15, **_state.setting("density_k", 5))
    share = c2.slider("Drop when the share of other-class neighbours is above", 0.0, 0.95, step=0.05,
                      **_state.setting("density_share", 0.5))
    _state.keep("density_k", k)
    _state.keep("density_share", share)
    density = DensityFilter(k=int(k), max_other_share=float(share))

if info.slow:
    st.caption(":material/warning: Training runs in this page: leaving the page or clicking any control stops it, "
               "and nothing from a stopped run is kept.")
confirmed = True
if advised_none:  # generating changes what the Comparison judges: asked first
    confirmed = st.checkbox(f"Generate anyway: the Comparison will then judge these synthetic rows instead of "
                            f"{STRATEGIES[strategy].chosen_words}", value=False, key="w_confirm_generate")
if st.button("Generate", type="primary", key="generate",
             disabled=not (amount_ok and constraints_ok and confirmed)):
    bar_box, stop_box = st.columns([6, 1], vertical_alignment="center")
    bar = bar_box.progress(0.0, text="Starting...")
    if info.slow:  # next to the bar, not below the loss chart
        stop_box.button("Stop training", key="stop_training", type="secondary",
                        help="Stops the run at once; nothing from it is kept (any click on the page does the same).")
        st.warning("Training is running: stay on this page until it finishes. Leaving the page stops it and "
                   "keeps nothing.", icon=":material/hourglass_top:")
    live = st.empty()

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=escape_markdown(message))

    def draw_losses(history: pd.DataFrame) -> None:
        if not history.empty:
            long = history.melt(id_vars=["class", "Epoch"], var_name="loss", value_name="value")
            live.plotly_chart(inert(px.line(long, x="Epoch", y="value", color="loss", line_dash="class",
                                      title="Training loss so far", height=320)), width="stretch")

    private = info.differentially_private and params.get("privacy") != "none"
    if private:  # the loss is computed from the private rows: showing it would release it outside epsilon
        live.caption("The training loss is not shown under differential privacy: it is computed from the private "
                     "rows, outside the guarantee.")
    _state.set_running(True)
    try:
        result = synthesize(prepared, method, amount, params, _state.seed(), constraints, density, progress=report,
                            on_losses=None if private else draw_losses)
    except GenerationCancelled as exc:
        st.warning(escape_markdown(exc))
    except SynthBalanceError as exc:
        st.error(escape_markdown(exc))
    else:
        _state.set_synthetic(result, {"method": method, "amount": {"rule": rule, "value": float(value)},
                                      "params": params, "seed": _state.seed(),
                                      "constraints": constraints.to_dict() if constraints else {},
                                      "density": None if density is None else vars(density),
                                      "prepared_key": prepared_key(prepared)})
        _state.set_running(False)
        st.rerun()  # redraw the sidebar's progress with the new rows
    _state.set_running(False)

result = _state.synthetic()
if result is None or not _state.synthetic_matches(prepared):
    st.stop()

st.divider()
st.subheader("Result")
c = st.columns(4)
c[0].metric("Synthetic rows", f"{result.n_synthetic:,}")
c[1].metric("Seconds", f"{result.seconds:.2f}")
c[2].metric("Rejected by constraints", f"{result.rejected_by_constraints:,}")
c[3].metric("Dropped by density filter", f"{result.dropped_by_density:,}")
st.caption(f"Method run: {REGISTRY[result.method_used].label}; seed {result.seed}; "
           f"parameters {escape_markdown(result.params)}. "
           "Generated from the training part only; the test rows were never used.")
guarantee = result.privacy
if guarantee is not None:  # what opacus' accountant spent, and whether the released rows carry it
    p = st.columns(3)
    p[0].metric("Epsilon spent", f"{guarantee.epsilon:.3g}", f"target {guarantee.target_epsilon:g}",
                delta_color="off", delta_arrow="off", help=_dial.EPSILON_WORDS)
    p[1].metric("Delta", f"{guarantee.delta:.1e}", help=_dial.DELTA_WORDS)
    p[2].metric("Release covered by the guarantee", "yes" if guarantee.release_covered else "no")
    st.caption(escape_markdown(guarantee_headline(guarantee)))
    st.caption(escape_markdown(noise_sentence(guarantee)))
for warning in result.warnings:
    st.warning(escape_markdown(warning))
target = dataset.target
before = pd.Series(train_counts, name="training rows")
after = before.add(pd.Series(result.produced), fill_value=0).astype(int)
counts = pd.DataFrame({"before": before, "after augmentation": after}).reset_index(names="class")
long = counts.melt(id_vars="class", var_name="stage", value_name="rows")
st.plotly_chart(inert(px.bar(long, x="class", y="rows", color="stage", barmode="group",
                       title="Training class distribution before and after")), width="stretch", key="chart_after")
if not result.loss_history.empty and guarantee is None:  # a private model's loss is not private
    losses = result.loss_history.melt(id_vars=["class", "Epoch"], var_name="loss", value_name="value")
    st.plotly_chart(inert(px.line(losses, x="Epoch", y="value", color="loss", line_dash="class",
                            title="Training loss per epoch")), width="stretch", key="chart_loss")
st.dataframe(result.rows.head(100), width="stretch", key="synthetic_preview")
kinds = dataset.column_types
d1, d2 = st.columns(2)
d1.download_button("Download synthetic rows (CSV)", to_csv_text(result.rows, kinds), "synthetic.csv", "text/csv",
                   key="download_synthetic")
d2.download_button("Download augmented training set (CSV)", to_csv_text(augmented(prepared, result), kinds),
                   "augmented_train.csv", "text/csv", key="download_augmented")
_flow.next_link("pages/quality.py", "Next: check the quality of the synthetic rows")
