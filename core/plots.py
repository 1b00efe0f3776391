"""Plotly figures built from result objects, for the self-contained HTML model card.
plotly is a plain plotting library (no Streamlit): core stays UI-free."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from core.imbalance import TYPOLOGY, ImbalanceProfile
from core.pipeline import ExperimentResult
from core.strategies import ARM_LABELS
from core.summary import GROUP_COLOURS as COLOURS  # the one palette of the three row groups
from core.sweep import UTILITY_METRICS
from core.text import escape_chart_text

# The charts' own palette and theme, fixed here: plotly's default template is process-wide, and once Streamlit is
# imported it is Streamlit's, whose colours are placeholders (#000001, #000002, ...) that only the app's front end
# replaces, so a card exported from the app drew every bar near-black. Every chart below names this template.
PALETTE = ("#2f6f8f", "#e07b39", "#5b8e3e", "#8e5ba8", "#c0392b", "#d0a21e", "#5b7083", "#b8c4cc")
TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.update(colorway=PALETTE, font={"family": "sans-serif", "color": "#1f2a30"},
                       margin={"l": 20, "r": 20, "t": 60, "b": 20},  # automargin adds room for labels from here
                       xaxis={"automargin": True}, yaxis={"automargin": True})
# trace fields whose strings plotly draws (values on axes, bar and hover text, legend names); templates are the app's
TRACE_TEXT = frozenset({"x", "y", "z", "text", "hovertext", "labels", "name", "customdata"})
LAYOUT_TEXT = frozenset({"text", "ticktext"})  # titles (figure, axes, legend, colour bar), annotations, tick labels
# plotly express writes each group's value and each column's name into hovertemplate between its own markup
HOVER_MARKUP = re.compile(r"(<br>|<extra></extra>)")


def _escape_strings(value):
    """Every string inside value (str, list, tuple, dict, numpy array of objects or text) chart-escaped."""
    if isinstance(value, str):
        return escape_chart_text(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "OUS":
            return value
        return np.array([_escape_strings(v) for v in value.ravel().tolist()], dtype=object).reshape(value.shape)
    if isinstance(value, (list, tuple)):
        return [_escape_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape_strings(v) for k, v in value.items()}
    return value


def _escape_layout(value):
    """Layout with the strings under LAYOUT_TEXT keys chart-escaped, at any depth."""
    if isinstance(value, dict):
        return {k: _escape_strings(v) if k in LAYOUT_TEXT else _escape_layout(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_layout(v) for v in value]
    return value


def inert(figure: go.Figure) -> go.Figure:
    """`figure` with its drawn text (data values, names, hover text, titles, tick and annotation text) escaped by
    core.text.escape_chart_text, in place, and returned: a column named `<a href=...>` shows as written, not as a
    link. Call it where a figure is rendered, whatever built it. In place: rebuilding the figure re-validates its
    theme, which cost more than drawing it."""
    for trace in figure.data:
        trace.update({k: _escape_strings(trace[k]) for k in TRACE_TEXT if k in trace and trace[k] is not None})
        if isinstance(trace["hovertemplate"] if "hovertemplate" in trace else None, str):  # its own markup kept
            trace.update(hovertemplate="".join(part if HOVER_MARKUP.fullmatch(part) else escape_chart_text(part)
                                               for part in HOVER_MARKUP.split(trace["hovertemplate"])))
    layout = figure.layout.to_plotly_json()
    layout.pop("template", None)  # plotly's theme: no user text, and large
    figure.update_layout(_escape_layout(layout))
    return figure


def class_counts(profile: ImbalanceProfile) -> go.Figure:
    frame = pd.DataFrame({"class": list(profile.class_counts), "rows": list(profile.class_counts.values())})
    return px.bar(frame, x="class", y="rows", text="rows", title="Rows per class", template=TEMPLATE)


def typology(profile: ImbalanceProfile) -> go.Figure:
    long = profile.typology.melt(id_vars="class", value_vars=list(TYPOLOGY), var_name="neighbourhood",
                                 value_name="rows")
    return px.bar(long, x="class", y="rows", color="neighbourhood", title="Minority rows by neighbourhood",
                  template=TEMPLATE)


def feature_shapes(result: ExperimentResult) -> go.Figure:
    table = result.validation.fidelity.table().sort_values("shape_score")
    figure = px.bar(table, x="shape_score", y="column", orientation="h", range_x=[0, 1], template=TEMPLATE,
                    labels={"shape_score": "shape score (1 = same distribution as the real rows)",
                            "column": "feature"},
                    title="Per-feature shape score (KSComplement / TVComplement)")
    # one tick per feature: 22 px a row, so plotly does not skip every other name
    figure.update_layout(height=max(350, 140 + 22 * len(table)))
    figure.update_yaxes(dtick=1)
    return figure


def coverage_scatter(result: ExperimentResult) -> go.Figure:
    points = result.validation.pca.points
    return px.scatter(points, x="x", y="y", color="group", color_discrete_map=COLOURS, opacity=0.6,
                      template=TEMPLATE, labels={"x": "first principal component",
                                                 "y": "second principal component", "group": "rows"},
                      title="PCA of training rows with the synthetic rows placed on it")


def dcr_histogram(result: ExperimentResult) -> go.Figure:
    privacy = result.validation.privacy
    frame = pd.concat([pd.DataFrame({"distance": privacy.dcr, "rows": "synthetic to training"}),
                       pd.DataFrame({"distance": privacy.holdout_dcr, "rows": "holdout to training"})])
    figure = px.histogram(frame, x="distance", color="rows", barmode="overlay", histnorm="percent", opacity=0.6,
                          nbins=50, template=TEMPLATE,
                          color_discrete_map={"synthetic to training": COLOURS["synthetic"],
                                              "holdout to training": COLOURS["real minority"]},
                          labels={"distance": "distance to the closest training row (standardised features)"},
                          title="Distance to closest training row")
    figure.update_yaxes(title_text="share of rows (%)")
    return figure


def arms(result: ExperimentResult, metric: str = "minority_f1") -> go.Figure:
    """The metric's mean per approach on the test rows, whiskers to its interval cut to the metric's scale [0, 1]
    (no whisker where there is no interval)."""
    words = UTILITY_METRICS.get(metric, metric.replace("_", " "))
    rows = []
    for arm, metrics in result.comparison.arms.items():
        s = metrics[metric]
        has_interval = s.ci_low is not None and s.ci_high is not None and np.isfinite([s.ci_low, s.ci_high]).all()
        low, high = (max(s.ci_low, 0.0), min(s.ci_high, 1.0)) if has_interval else (s.mean, s.mean)
        rows.append({"approach": ARM_LABELS.get(arm, arm), words: s.mean, "low": max(s.mean - low, 0.0),
                     "high": max(high - s.mean, 0.0),
                     "synthetic rows": "with" if arm.startswith(("augmented", "tstr")) else "without"})
    figure = px.bar(pd.DataFrame(rows), x="approach", y=words, error_y="high", error_y_minus="low",
                    color="synthetic rows", color_discrete_map={"with": COLOURS["synthetic"],
                                                                "without": COLOURS["real minority"]},
                    range_y=[0, 1], template=TEMPLATE,
                    title=f"{words} on the test rows (mean and 95% interval, cut to 0-1)")
    figure.update_xaxes(categoryorder="array", categoryarray=[r["approach"] for r in rows])
    return figure


def confusion(result: ExperimentResult, arm: str) -> go.Figure:
    return px.imshow(result.runs[0][arm].confusion, text_auto=True, color_continuous_scale="Blues",
                     template=TEMPLATE, labels={"x": "predicted", "y": "true", "color": "rows"},
                     title=f"Confusion matrix: {ARM_LABELS.get(arm, arm)}")


def reliability(calibration: dict) -> go.Figure:
    """The model bundle's reliability curves before and after recalibration (out of fold on the training part):
    mean predicted P(minority) against the observed minority share per bin, and the diagonal of perfect
    calibration (calibration: the manifest's `calibration` block, core.calibration.CalibrationChoice.to_dict)."""
    rows = [{"predicted": point["predicted"], "observed": point["observed"], "rows": point["rows"],
             "probabilities": name}
            for name, figures in (("the model's own", calibration["before"]),
                                  (f"shipped ({calibration['method']})", calibration["after"]))
            for point in figures["reliability"]]
    figure = px.line(pd.DataFrame(rows), x="predicted", y="observed", color="probabilities", markers=True,
                     hover_data=["rows"], range_x=[0, 1], range_y=[0, 1], template=TEMPLATE,
                     title="Reliability: observed minority share against predicted probability (out of fold)")
    figure.add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line={"dash": "dot", "color": COLOURS["real majority"]})
    return figure


def drift_feature(drift) -> go.Figure:
    """Reference against new batch shares on the drift check's bins, overlaid (drift: a core.drift FeatureDrift)."""
    frame = pd.DataFrame({"bin": list(drift.bins) * 2, "share": [*drift.reference_shares, *drift.new_shares],
                          "data": ["reference"] * len(drift.bins) + ["new batch"] * len(drift.bins)})
    figure = px.bar(frame, x="bin", y="share", color="data", barmode="overlay", opacity=0.6, template=TEMPLATE,
                    color_discrete_map={"reference": COLOURS["real minority"], "new batch": COLOURS["synthetic"]},
                    title=f"{drift.column}: PSI {drift.psi:.2f}, {drift.statistic_name} {drift.statistic:.2f}")
    figure.update_xaxes(type="category")
    return figure


def drift_charts_html(result) -> str:
    """One self-contained HTML page with a chart per drifted feature (plotly.js embedded once)."""
    import html
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Drift charts</title></head><body>",
             f"<h1>Drift: {html.escape(result.verdict.value)}</h1>"]
    for index, drift in enumerate(result.drifted):
        parts.append(drift_feature(drift).to_html(full_html=False, include_plotlyjs=index == 0))
    if not result.drifted:
        parts.append("<p>No feature drifted.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def monitor_timeline(result) -> go.Figure:
    """Estimated minority F1 per chunk with its sampling interval, the reference band, the realised F1 where the
    batch had labels, and a mark on flagged chunks (result: core.monitor.BundleMonitor with an estimate)."""
    f1 = result.f1
    labels = [c.chunk.label for c in f1.chunks]
    figure = go.Figure(layout={"template": TEMPLATE})
    figure.add_hrect(y0=f1.band_low, y1=f1.band_high, fillcolor=COLOURS["real majority"], opacity=0.35, line_width=0,
                     annotation_text="reference band", annotation_position="top left")
    figure.add_trace(go.Scatter(
        x=labels, y=[c.estimate for c in f1.chunks], mode="lines+markers", name="estimated minority F1",
        line={"color": PALETTE[0]},
        error_y={"type": "data", "symmetric": False, "array": [c.ci_high - c.estimate for c in f1.chunks],
                 "arrayminus": [c.estimate - c.ci_low for c in f1.chunks]}))
    if result.labelled:
        figure.add_trace(go.Scatter(x=labels, y=[c.realised for c in f1.chunks], mode="markers",
                                    name="realised minority F1", marker={"color": PALETTE[1], "symbol": "diamond"}))
    flagged = [i for i, flag in enumerate(result.flags) if flag]
    if flagged:
        figure.add_trace(go.Scatter(x=[labels[i] for i in flagged], y=[1.02] * len(flagged), mode="markers",
                                    name="drift flag", marker={"color": PALETTE[4], "symbol": "x", "size": 11}))
    figure.update_layout(title="Estimated minority F1 per chunk (CBPE)", yaxis={"title": "minority F1",
                                                                               "range": [0, 1.05]},
                         xaxis={"title": "chunk", "type": "category"})
    return figure
