"""The stakeholder Summary, built headless: its figures as display strings (read from the decision record and the
run's result objects, nothing recomputed) and the same view as one self-contained HTML card with static SVG
charts. `python -m core run` writes it as summary.html beside model_card.html; the Report page draws the figures
on screen and offers this card for download.

Every string is escaped where it is rendered (core.text.escape_html in the card).
"""
from __future__ import annotations

import html
import math

import pandas as pd

from core.decision import decision_record
from core.evaluation import Decision, headline_gain
from core.generators.dp_guarantee import guarantee_headline
from core.generators.registry import METHOD_LABELS
from core.models import CLASSIFIERS
from core.pipeline import ExperimentResult
from core.strategies import ARM_LABELS, SUMMARY_ARM_LABELS
from core.text import escape_html
from core.validation.verdict import NAMES, REFINE, REJECTED, VALIDATION_COLOURS, VALIDATION_LABELS, Outcome

# the one palette of real majority, real minority and synthetic rows: every chart (core.plots, the pages) reads it
GROUP_COLOURS = {"real majority": "#b8c4cc", "real minority": "#2f6f8f", "synthetic": "#e07b39"}
VERDICT_COLOURS = {Decision.EARNED: "#2e7d4f", Decision.CANNOT_TELL: "#d08a1e", Decision.WORSE: "#c0392b",
                   Decision.NO_GENERATION: "#2f6f8f"}


def comparison_colour(result: ExperimentResult) -> str:
    """Green when the rows earned their place, red when they made the model worse, amber when the comparison
    could not tell them apart, neutral blue for a strategy without synthetic rows (a choice, not a loss)."""
    return VERDICT_COLOURS[result.comparison.decision]


def failing_checks(verdict) -> str:
    """The validation checks at the decision's own level, each with its value and limit (core's messages), e.g.
    'detection AUC 0.97 is above 0.95' under Rejected (reject-level checks only), the refine-level ones under
    Requires refinement; '' when none failed."""
    if verdict is None:
        return ""
    level = {REJECTED: Outcome.REJECT, REFINE: Outcome.REFINE}.get(verdict.decision.value)
    return "; ".join(c.message for c in verdict.checks if c.outcome is level)


def banner_text(verdict) -> str:
    """A validation banner: the decision with only the checks at its level, then (apart) the checks at a lower
    level and what was not measured, e.g. 'Verdict: Rejected. detection AUC 0.97 is above 0.95. Also to refine:
    quality score 0.7 is below 0.8.'"""
    own = failing_checks(verdict)
    lower = ([c.message for c in verdict.checks if c.outcome is Outcome.REFINE]
             if verdict.decision.value == REJECTED else [])
    unmeasured = [NAMES.get(c.name, c.name) for c in verdict.checks if c.outcome is Outcome.NOT_MEASURED]
    parts = [f"Verdict: {verdict.decision.text}.",
             f"{own}." if own else ("Every check is within its limits." if not unmeasured
                                    else "Every measured check is within its limits.")]
    if lower:
        parts.append(f"Also to refine: {'; '.join(lower)}.")
    if unmeasured:
        parts.append(f"Not measured (not counted as passed): {', '.join(unmeasured)}.")
    return " ".join(parts)


def facts(result: ExperimentResult, decision: str | None) -> dict:
    """The summary's figures as display strings, read from the decision record and the result (nothing
    recomputed). decision: the validation decision (core.validation.verdict) in force, if any."""
    profile, config, comparison = result.profile, result.config, result.comparison
    record = decision_record(result)
    judged = record.judged
    minority = profile.minority_class
    f1 = comparison.arms[comparison.subject]["minority_f1"]
    gain = headline_gain(comparison).gain  # the record's headline: the same gain as the Comparison and the card
    # "before" is the reference the gain is measured against, so the banner and the gain tile agree
    base = comparison.arms[judged.reference]["minority_f1"]
    judgement = judged.minority_f1
    interval = f" ({judgement.interval_text})"
    validation = result.validation
    return {
        "dataset": result.prepared.dataset.name, "target": config.target,
        "rows": f"{sum(profile.class_counts.values()):,}",
        "minority": f"{minority}", "minority_rows": f"{profile.minority_count:,}",
        "minority_share": f"{profile.class_shares[minority]:.1%}", "ratio": f"{profile.imbalance_ratio:,.1f} : 1",
        "method": METHOD_LABELS.get(config.method) or ARM_LABELS[comparison.subject],
        "kept": record.kept.sentence,
        "synthetic_rows": f"{result.synthetic.n_synthetic:,}" if result.synthetic is not None else "no",
        "classifier": CLASSIFIERS.get(config.classifier, config.classifier), "repeats": f"{comparison.repeats}",
        "decision": ("no synthetic rows" if result.synthetic is None
                     else VALIDATION_LABELS.get(decision, "not validated")),
        "quality": "n/a" if validation is None else f"{validation.fidelity.quality_score:.2f}",
        "detection": "n/a" if validation is None or validation.detection_auc is None
        else f"{validation.detection_auc:.2f}",
        "copies": "n/a" if validation is None else f"{validation.privacy.exact_copies:,}",
        "f1_threshold": f"{comparison.arms['threshold_tuned']['minority_f1'].mean:.3f}",
        "f1_before": f"{base.mean:.3f}", "f1_after": f"{f1.mean:.3f}", "f1_gain": f"{gain.mean:+.3f}",
        "f1_interval": interval, "verdict_words": record.verdict_words,
        "reference": judged.reference_words, "pr_gain": f"{judged.pr_auc_gain:+.3f}", "verdict": comparison.verdict,
        "privacy": guarantee_headline(result.synthetic.privacy)
        if result.synthetic is not None and result.synthetic.privacy is not None else "",
    }


def validation_decision(result: ExperimentResult) -> tuple[str | None, str]:
    """(the validation decision, the failing checks in words) of the run's own validation: what the CLI's
    summary.html shows (the Report page passes the decision under the thresholds in force)."""
    if result.validation is None:
        return None, ""
    verdict = result.validation.verdict
    return verdict.decision.value, failing_checks(verdict)


# The card's charts are static SVG of a fixed size (no plotly.js: the card stays small and draws the same in
# every browser); titles are HTML headings above each chart, so they never overlap the text or the plot.
SVG_WIDTH, SVG_HEIGHT = 600, 340
PLOT = {"left": 64, "right": 16, "top": 16, "bottom": 56}  # room for the y tick labels and the x labels
CARD_POINTS = 600  # points per group drawn on the card's PCA map (evenly spaced rows of each group)


def _ticks(top: float) -> list[float]:
    """Round y ticks from 0 to at least `top`: steps of 0.1, 0.2, 0.25 or 0.5 x a power of ten, 4-6 of them."""
    top = max(float(top), 1e-9)
    for step in sorted(m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 2.5, 5)):
        if top / step <= 5:
            return [round(step * i, 10) for i in range(int(-(-top // step)) + 1)]
    return [0.0, top]


def svg_bars(labels: list[str], means: list[float], lows: list[float], highs: list[float],
             colours: list[str], y_title: str) -> str:
    """Bars with 95% interval whiskers, values written in the bars, y ticks rising from 0 at the bottom."""
    left, right, top, bottom = PLOT["left"], SVG_WIDTH - PLOT["right"], PLOT["top"], SVG_HEIGHT - PLOT["bottom"]
    ticks = _ticks(max([*highs, *means, 0.0]))
    scale = (bottom - top) / ticks[-1]

    def y(value: float) -> float:
        return bottom - max(0.0, value) * scale

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{SVG_WIDTH}' height='{SVG_HEIGHT}' "
             f"viewBox='0 0 {SVG_WIDTH} {SVG_HEIGHT}' role='img' font-family='sans-serif' font-size='15'>"]
    decimals = max(0, -math.floor(math.log10(ticks[1]) + 1e-9)) if len(ticks) > 1 else 0
    for tick in ticks:
        parts.append(f"<line x1='{left}' x2='{right}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' stroke='#e3e8eb'/>"
                     f"<text class='ytick' x='{left - 8}' y='{y(tick) + 5:.1f}' text-anchor='end' "
                     f"fill='#5b6b73'>{tick:.{decimals}f}</text>")
    parts.append(f"<text class='ytitle' transform='translate(16 {(top + bottom) / 2:.0f}) rotate(-90)' "
                 f"text-anchor='middle' fill='#5b6b73'>{html.escape(y_title)}</text>")
    slot = (right - left) / max(1, len(labels))
    for i, (label, mean, low, high, colour) in enumerate(zip(labels, means, lows, highs, colours)):
        x = left + slot * i
        width = slot * 0.6
        centre = x + slot / 2
        parts.append(f"<rect x='{centre - width / 2:.1f}' y='{y(mean):.1f}' width='{width:.1f}' "
                     f"height='{bottom - y(mean):.1f}' fill='{colour}'/>"
                     f"<line x1='{centre:.1f}' x2='{centre:.1f}' y1='{y(high):.1f}' y2='{y(low):.1f}' "
                     "stroke='#1f2a30' stroke-width='1.5'/>"
                     f"<text x='{centre:.1f}' y='{bottom - 10:.1f}' text-anchor='middle' fill='white' "
                     f"font-weight='bold'>{mean:.2f}</text>"
                     f"<text class='xtick' x='{centre:.1f}' y='{bottom + 24:.1f}' text-anchor='middle' "
                     f"fill='#1f2a30'>{html.escape(label)}</text>")
    parts.append(f"<line x1='{left}' x2='{right}' y1='{bottom}' y2='{bottom}' stroke='#5b6b73'/></svg>")
    return "".join(parts)


def svg_scatter(points: pd.DataFrame, colours: dict[str, str]) -> str:
    """A map of points (columns x, y, group), groups drawn in the order of `colours` (the last on top); at most
    CARD_POINTS evenly spaced rows per group. Coordinates have no unit (a projection): no tick labels."""
    left, right, top, bottom = 16, SVG_WIDTH - 16, 16, SVG_HEIGHT - 16
    x_low, x_high = float(points["x"].min()), float(points["x"].max())
    y_low, y_high = float(points["y"].min()), float(points["y"].max())
    x_span, y_span = (x_high - x_low) or 1.0, (y_high - y_low) or 1.0
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{SVG_WIDTH}' height='{SVG_HEIGHT}' "
             f"viewBox='0 0 {SVG_WIDTH} {SVG_HEIGHT}' role='img'>"
             f"<rect x='{left}' y='{top}' width='{right - left}' height='{bottom - top}' fill='none' "
             "stroke='#e3e8eb'/>"]
    for group, colour in colours.items():
        rows = points.loc[points["group"] == group]
        rows = rows.iloc[::max(1, -(-len(rows) // CARD_POINTS))]
        xs = left + (rows["x"].to_numpy() - x_low) / x_span * (right - left)
        ys = bottom - (rows["y"].to_numpy() - y_low) / y_span * (bottom - top)
        parts.append(f"<g fill='{colour}' fill-opacity='0.7'>" + "".join(
            f"<circle cx='{a:.0f}' cy='{b:.0f}' r='3.5'/>" for a, b in zip(xs, ys)) + "</g>")
    return "".join(parts) + "</svg>"


def arms_table(result: ExperimentResult) -> pd.DataFrame:
    """The on-screen arms chart's data: one row per arm the Summary shows, in the comparison's order: approach
    (its words), minority F1 (the mean on the test rows), low / high (the mean's distance to the ends of its 95%
    interval; NaN with no interval), synthetic (the augmented arm)."""
    comparison = result.comparison
    return pd.DataFrame([{"approach": SUMMARY_ARM_LABELS[arm], "minority F1": s.mean, "low": s.mean - s.ci_low,
                          "high": s.ci_high - s.mean, "synthetic": arm == "augmented_tuned"}
                         for arm, metrics in comparison.arms.items() for name, s in metrics.items()
                         if name == "minority_f1" and arm in SUMMARY_ARM_LABELS])


def _card_charts(result: ExperimentResult) -> tuple[str, str]:
    """(PCA map, arms chart) as SVG, from the same result objects as the on-screen charts."""
    comparison = result.comparison
    arms = [(arm, comparison.arms[arm]["minority_f1"]) for arm in SUMMARY_ARM_LABELS if arm in comparison.arms]
    def whisker(value: float, mean: float) -> float:  # no interval under 3 repeats: no whisker
        return mean if math.isnan(value) else value
    bars = svg_bars([SUMMARY_ARM_LABELS[a] for a, _ in arms], [s.mean for _, s in arms],
                    [whisker(s.ci_low, s.mean) for _, s in arms], [whisker(s.ci_high, s.mean) for _, s in arms],
                    ["#e07b39" if a == "augmented_tuned" else "#9aa9b2" for a, _ in arms], "minority F1")
    if result.validation is None:
        return "", bars
    order = {"real majority": GROUP_COLOURS["real majority"], "synthetic": GROUP_COLOURS["synthetic"],
             "real minority": GROUP_COLOURS["real minority"]}  # the real minority on top, never hidden
    legend = " ".join(f"<span style='color:{c}'>&#9679;</span> {g}" for g, c in order.items())
    return svg_scatter(result.validation.pca.points, order) + f"<p class='legend'>{legend}</p>", bars


def to_html(result: ExperimentResult, decision: str | None = None, why: str = "") -> str:
    """The Summary as one self-contained HTML file with static SVG charts (small; nothing fetched when opened).
    decision / why: the validation decision and its failing checks (default: the run's own validation)."""
    if decision is None and result.validation is not None:
        decision, why = validation_decision(result)
    f = {k: escape_html(v) for k, v in facts(result, decision).items()}
    colour = VALIDATION_COLOURS.get(decision, "#5b6b73")
    why = f": {escape_html(why)}" if why else ""
    coverage, arms = _card_charts(result)
    tiles = "".join(f"<div class='tile'><div class='label'>{label}</div><div class='value'>{value}</div>"
                    f"<div class='note'>{note}</div></div>" for label, value, note in (
                        ("Rare class", f["minority"], f"{f['minority_rows']} rows, {f['minority_share']}"),
                        ("Imbalance", f["ratio"], ""), ("Tried", f["method"], f"{f['synthetic_rows']} synthetic rows"),
                        ("Judged on", f"{f['repeats']} split(s)", f["classifier"])))
    coverage_block = (f"<h3>Where the synthetic rows fall (PCA map)</h3><div class='chart'>{coverage}</div>"
                      if coverage else "")
    return f"""<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Summary: {f['dataset']}</title>
<style>body{{font-family:sans-serif;margin:1.5em 2em;color:#1f2a30;font-size:20px;min-width:1280px}}
.row{{display:flex;gap:1.5em}}.tile{{flex:1;min-width:0;overflow-wrap:anywhere}}.label{{font-size:0.8em;color:#5b6b73}}
.value{{font-size:1.6em}}.note{{font-size:0.8em;color:#5b6b73}}.half{{flex:1;min-width:{SVG_WIDTH}px}}
.banner{{color:white;padding:0.4em 0.7em;border-radius:6px}}h3{{font-size:1em;margin:1em 0 0.4em}}
.chart svg{{display:block}}.legend{{font-size:0.8em;margin:0.3em 0}}</style></head><body>
<h1>Summary: {f['dataset']}</h1><p>Target {f['target']}; {f['rows']} rows.</p>
<div class='row'>{tiles}</div><div class='row'>
<div class='half'><p class='banner' style='background:{colour}'>Validation: {f['decision']}{why}</p>
<p>Quality score {f['quality']} &middot; detection AUC {f['detection']} &middot; exact copies {f['copies']}</p>
{coverage_block}</div>
<div class='half'><p class='banner' style='background:{comparison_colour(result)}'>Comparison: minority F1
{f['f1_before']} &rarr; {f['f1_after']}: {f['verdict_words']}</p>
<p>Kept: {f['kept']}</p>
<p>Minority F1 gain {f['f1_gain']} against {f['reference']}
{f['f1_interval']} &middot; PR-AUC gain {f['pr_gain']} against the same reference &middot; tuned threshold
F1 {f['f1_threshold']}</p>
<h3>Minority F1 on the test rows, by approach (bars: mean; lines: 95% interval)</h3>
<div class='chart'>{arms}</div></div></div><p>Verdict: {f['verdict']}</p>
{f"<p>{f['privacy']}</p>" if f['privacy'] else ''}</body></html>"""
