"""The model card: the run documented section by section from its real figures, as Markdown and as one
self-contained HTML file. Every user-provided string (file name, column names, labels) is escaped in HTML,
and table cells are escaped in Markdown."""
from __future__ import annotations

import html
import io
import os
import platform
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import plots
from core.advisor import Advice, advise
from core.config import config_json
from core.evaluation import survives
from core.export import augmented_training, to_csv_text
from core.generators.base import SyntheticResult
from core.generators.registry import REGISTRY
from core.pipeline import ExperimentResult
from core.results import results_dict
from core.validation.verdict import NAMES

MET, PARTIAL, NOT_MET = "Met", "Partially met", "Not met"
JS_LIMIT, COVERAGE_LIMIT, TIME_LIMIT_S = 0.1, 0.5, 600.0
SECTIONS = ("1. Problem framing", "2. Imbalance analysis", "3. Data preparation", "4. Method selection",
            "5. Generation", "6. Validation", "7. Model training and evaluation", "8. Limitations and residual risks")


@dataclass(frozen=True)
class Block:
    """One piece of a section: kind 'text' (a paragraph), 'bullets' (list of str), 'table' (DataFrame), or
    'figure' (the name of a function in core.plots)."""
    kind: str
    content: object


@dataclass(frozen=True)
class ModelCard:
    title: str
    sections: tuple[tuple[str, tuple[Block, ...]], ...]


def hardware() -> str:
    """CPU model and core count of this machine."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, no GPU used"


def requirements(result: ExperimentResult) -> pd.DataFrame:
    """R1-R4 with their status from the measured figures."""
    comparison, validation, synthetic = result.comparison, result.validation, result.synthetic
    gain = comparison.differences["augmented_vs_baseline"]["minority_f1"].mean
    tuned = comparison.differences["augmented_vs_threshold_tuned"]["minority_f1"]
    over_tuned = tuned.mean
    target = comparison.targets.minority_f1_gain
    r1 = MET if gain >= target and survives(tuned, comparison.repeats) else PARTIAL if gain >= target else NOT_MET
    total = sum(result.seconds.values())
    complete = synthetic.produced == synthetic.requested
    r2 = MET if total <= TIME_LIMIT_S and complete else PARTIAL if total <= TIME_LIMIT_S or complete else NOT_MET
    if validation is None:
        r4, quality = NOT_MET, "not measured"
    else:
        js = float(np.mean([f.js_divergence for f in validation.fidelity.per_feature]))
        good = [js <= JS_LIMIT, validation.coverage.coverage >= COVERAGE_LIMIT]
        r4 = MET if all(good) else PARTIAL if any(good) else NOT_MET
        quality = f"mean JS divergence {js:.3f} (limit {JS_LIMIT}), coverage {validation.coverage.coverage:.2f} " \
                  f"(limit {COVERAGE_LIMIT})"
    return pd.DataFrame([
        {"requirement": "R1 performance", "measure": f"minority F1 {gain:+.3f} over baseline (target {target:+.2f}); "
                                                     f"{over_tuned:+.3f} over the tuned threshold", "status": r1},
        {"requirement": "R2 efficiency", "measure": f"{total:.1f} s in all; {synthetic.n_synthetic:,} of "
                                                    f"{sum(synthetic.requested.values()):,} rows asked for",
         "status": r2},
        {"requirement": "R3 reproducibility", "measure": f"seed {result.config.seed}, config with package versions "
                                                         "and data SHA-256", "status": MET},
        {"requirement": "R4 data quality", "measure": quality, "status": r4}])


def _arms_table(result: ExperimentResult) -> pd.DataFrame:
    rows = []
    for arm, metrics in result.comparison.arms.items():
        row = {"arm": arm}
        for metric in ("minority_f1", "minority_precision", "minority_recall", "pr_auc", "roc_auc", "mcc"):
            s = metrics[metric]
            row[metric] = f"{s.mean:.3f} [{s.ci_low:.3f}, {s.ci_high:.3f}]"
        rows.append(row)
    return pd.DataFrame(rows)


def _checklist(result: ExperimentResult) -> list[str]:
    dataset, synthetic, validation = result.prepared.dataset, result.synthetic, result.validation
    train, rows = result.prepared.train, synthetic.rows
    levels_ok = all(set(rows[c].dropna().astype(str)) <= set(train[c].dropna().astype(str))
                    for c in dataset.features if dataset.column_types[c] in ("categorical", "boolean"))
    numbers = [c for c in dataset.features if dataset.column_types[c] in ("numeric", "integer")]
    ranges_ok = all(rows[c].dropna().between(train[c].min(), train[c].max()).all() for c in numbers)
    integers_ok = all((rows[c].dropna() == rows[c].dropna().round()).all()
                      for c in dataset.features if dataset.column_types[c] == "integer")

    def mark(ok: bool) -> str:
        return "[x]" if ok else "[ ]"
    items = [f"{mark(levels_ok)} categories only from the observed training values",
             f"{mark(ranges_ok)} numbers inside the observed training range",
             f"{mark(integers_ok)} integer columns hold whole numbers",
             f"{mark(set(rows[dataset.target].astype(str)) <= set(synthetic.requested))} synthetic rows carry the "
             "intended class labels",
             "[x] test rows set aside before cleaning and generation (refused by every fitting step)"]
    if validation is not None:
        items.append(f"{mark(validation.privacy.exact_copies == 0)} no exact copies of training rows "
                     f"({validation.privacy.exact_copies:,} found)")
    return items


def build_model_card(result: ExperimentResult, advice: Advice | None = None) -> ModelCard:
    """Fill every section from the run's result objects."""
    config, profile, prepared = result.config, result.profile, result.prepared
    synthetic, validation, comparison = result.synthetic, result.validation, result.comparison
    dataset = prepared.dataset
    advice = advice or advise(profile, prepared.train_class_counts.get(profile.minority_class))
    info = REGISTRY[synthetic.method_used]
    versions = config.to_dict()["versions"]
    sections: list[tuple[str, tuple[Block, ...]]] = []

    sections.append((SECTIONS[0], (
        Block("text", f"{'Multi-class' if profile.is_multiclass else 'Binary'} classification of "
                      f"'{dataset.target}' in '{dataset.name}'. Primary metric: minority F1 of "
                      f"'{profile.minority_class}'; secondary: precision, recall, PR-AUC, ROC-AUC, MCC. Target: "
                      f"minority F1 {comparison.targets.minority_f1_gain:+.2f} over the baseline."),
        Block("table", requirements(result)))))

    kinds = ", ".join(f"{n} {k}" for k, n in profile.feature_kinds.items())
    typology = profile.typology.set_index("class")
    sections.append((SECTIONS[1], (
        Block("text", profile.summary),
        Block("table", pd.DataFrame([
            {"figure": "rows", "value": f"{profile.n_rows:,}"},
            {"figure": "imbalance ratio", "value": f"{profile.imbalance_ratio} : 1"},
            {"figure": "minority rows (share)", "value": f"{profile.minority_count:,} "
                                                       f"({profile.class_shares[profile.minority_class]:.1%})"},
            {"figure": "classes", "value": f"{len(profile.class_counts)} ({'multi-class' if profile.is_multiclass else 'binary'})"},
            {"figure": "features", "value": f"{profile.n_features} ({kinds})"},
            {"figure": "high-dimensional", "value": "yes" if profile.high_dimensional else "no"},
            {"figure": "missing feature cells", "value": f"{profile.missing_share:.1%}"}])),
        Block("table", typology.reset_index()),
        Block("figure", "class_counts"), Block("figure", "typology"))))

    cleaning = prepared.cleaning
    prep_blocks = [Block("text", f"Cleaning plan: missing values '{cleaning.plan.missing}', duplicates "
                                 f"'{cleaning.plan.duplicates}', outliers '{cleaning.plan.outliers}' "
                                 f"({cleaning.plan.outlier_action}); applied to the training part only. Encoding for "
                                 "models and distances: numbers median-imputed and standardised, categories one-hot, "
                                 "all fitted on training rows.")]
    if cleaning.steps:
        prep_blocks.append(Block("table", cleaning.impact_table()))
    prep_blocks += [Block("text", f"Stratified split with seed {prepared.split.seed} and a "
                                  f"{prepared.split.test_size:.0%} test share:"),
                    Block("table", prepared.split.class_distribution.reset_index(names="class")),
                    Block("text", "Data Quality Verification checklist:"), Block("bullets", _checklist(result))]
    sections.append((SECTIONS[2], tuple(prep_blocks)))

    chosen = next((r for r in advice.ranked if r.method == synthetic.method_used), None)
    alternatives = [f"{r.label}: {REGISTRY[r.method].pros} Limits: {REGISTRY[r.method].limits}"
                    for r in advice.ranked if r.method != synthetic.method_used][:4]
    sections.append((SECTIONS[3], (
        Block("text", f"Method: {info.label} ({info.family}; {info.library} "
                      f"{versions.get(info.library, '') if info.library in versions else ''}). Why: "
                      f"{'; '.join(chosen.reasons) if chosen else 'chosen by the analyst'}."),
        Block("table", pd.DataFrame([{"parameter": k, "value": str(v)} for k, v in synthetic.params.items()])),
        Block("text", "Alternatives considered:"), Block("bullets", alternatives),
        Block("table", advice.matrix))))

    after = {label: n + synthetic.produced.get(label, 0) for label, n in prepared.train_class_counts.items()}
    sections.append((SECTIONS[4], (
        Block("table", pd.DataFrame([
            {"item": "framework", "value": f"SynthBalance with {info.library}"},
            {"item": "hardware", "value": hardware()},
            {"item": "execution time", "value": f"{synthetic.seconds:.2f} s (repeat 1)"},
            {"item": "seed", "value": str(synthetic.seed)},
            {"item": "rule", "value": f"{config.amount.rule} {config.amount.value:g}"},
            {"item": "training rows before", "value": ", ".join(f"{k}: {v:,}" for k, v in prepared.train_class_counts.items())},
            {"item": "training rows after", "value": ", ".join(f"{k}: {v:,}" for k, v in after.items())},
            {"item": "constraint rejections", "value": f"{synthetic.rejected_by_constraints:,}"},
            {"item": "density filter drops", "value": f"{synthetic.dropped_by_density:,}"}])),
        Block("text", "Integration: synthetic rows carry their class label and an is_synthetic flag in the "
                      "augmented training table. Test-set isolation: the test rows were split off before cleaning "
                      "and generation; every fitting function refuses them, and they were only scored."),
        Block("bullets", list(synthetic.warnings) or ["No generation warnings."]),
        Block("text", "Privacy guarantee:"), Block("bullets", privacy_statement(synthetic)))))

    if validation is None:
        sections.append((SECTIONS[5], (Block("text", "Validation was not run for this configuration."),)))
    else:
        quality = pd.DataFrame([
            {"metric": "quality score", "value": validation.fidelity.quality_score, "meaning": "SDMetrics-style, 0..1"},
            {"metric": "mean JS divergence (bits)", "value": float(np.mean([f.js_divergence for f in
                                                                            validation.fidelity.per_feature])),
             "meaning": f"0 identical; limit {JS_LIMIT}"},
            {"metric": "coverage", "value": validation.coverage.coverage, "meaning": f"limit {COVERAGE_LIMIT}"},
            {"metric": "precision", "value": validation.coverage.precision, "meaning": "inside the real region"},
            {"metric": "novelty", "value": validation.coverage.novelty, "meaning": "farther than typical gaps"},
            {"metric": "detection AUC", "value": validation.detection_auc, "meaning": "0.5 indistinguishable"},
            {"metric": "exact copies", "value": validation.privacy.exact_copies, "meaning": "rows"},
            {"metric": "near copies", "value": validation.privacy.near_copies, "meaning": "rows"},
            {"metric": "DCR share vs holdout", "value": validation.privacy.dcr_share_vs_holdout,
             "meaning": "0.5 ideal; holdout = test rows, read only"},
            {"metric": "median NNDR", "value": validation.privacy.nndr_median, "meaning": "near 0 = one record"},
            {"metric": "identifiability", "value": validation.privacy.identifiability, "meaning": "share"}])
        checks = pd.DataFrame([{"check": NAMES[c.name], "value": c.value, "refine at": c.refine_at,
                                "reject at": c.reject_at, "outcome": c.outcome} for c in validation.verdict.checks])
        sections.append((SECTIONS[5], (
            Block("table", validation.fidelity.table()[["column", "kind", "shape_score", "js_divergence",
                                                        "ks_statistic", "ks_pvalue", "total_variation"]]),
            Block("table", quality), Block("figure", "feature_shapes"), Block("figure", "coverage_scatter"),
            Block("figure", "dcr_histogram"), Block("table", checks),
            Block("text", f"Decision: {validation.verdict.decision.replace('_', ' ')}."))))

    from core.models import CLASSIFIERS, HYPERPARAMETERS
    sections.append((SECTIONS[6], (
        Block("text", f"Classifier: {CLASSIFIERS[comparison.classifier]} with {HYPERPARAMETERS[comparison.classifier]}"
                      f", identical in every arm; {comparison.repeats} repeated stratified split(s); training and "
                      f"scoring took {result.seconds['evaluate']:.1f} s."),
        Block("table", _arms_table(result)), Block("figure", "arms"),
        Block("figure", "confusion_baseline"), Block("figure", "confusion_augmented"),
        Block("text", comparison.verdict),
        *((Block("table", result.detail.fairness),) if result.detail.fairness is not None else ()))))

    sections.append((SECTIONS[7], (Block("bullets", limitations(result)),)))
    return ModelCard(title=f"Model card: synthetic minority rows for '{dataset.target}' ({dataset.name})",
                     sections=tuple(sections))


def privacy_statement(synthetic: SyntheticResult) -> list[str]:
    """The privacy part of the card in words: the (epsilon, delta) guarantee, how it was computed, what it
    protects and what was treated as public; or that there is none."""
    guarantee = synthetic.privacy
    if guarantee is None:
        return [f"No formal privacy guarantee: {REGISTRY[synthetic.method_used].label} is not trained with "
                "differential privacy. The privacy figures of the validation measure risk after the fact; they do "
                "not bound it."]
    return [f"Differentially private with epsilon = {guarantee.epsilon:.4g} and delta = {guarantee.delta:.2g} "
            f"(target epsilon {guarantee.target_epsilon:g}): for any one protected row, the chance of any output "
            f"changes by at most a factor e^{guarantee.epsilon:.3g} = {np.exp(guarantee.epsilon):.3g} whether "
            f"or not that row was used, except with probability {guarantee.delta:.2g}.",
            f"Mechanism: {guarantee.mechanism}; noise multiplier {guarantee.noise_multiplier:.3g}, sampling rate "
            f"{guarantee.sample_rate:.3g}, {guarantee.steps:,} steps.",
            f"Accountant: {guarantee.accountant}, computed by {guarantee.library} (not by hand).",
            f"Protects: {guarantee.protects}.",
            f"Public, not paid for from the budget: {guarantee.public}.",
            "Noise: opacus' secure random mode" if guarantee.secure_mode else
            "Noise: seeded pseudo-random numbers, so the run is reproducible; a production release should be "
            "retrained with secure_mode 'on' (cryptographically secure noise, needs torchcsprng)."]


def limitations(result: ExperimentResult) -> list[str]:
    """Residual risks written from what was measured."""
    items = []
    n_min = result.prepared.train_class_counts.get(result.profile.minority_class, 0)
    if n_min < 50:
        items.append(f"Small minority: {n_min} training rows of '{result.profile.minority_class}'; every figure "
                     "about it has wide uncertainty.")
    if result.comparison.repeats < 5:
        items.append(f"Only {result.comparison.repeats} split(s): confidence intervals are missing or wide.")
    v = result.validation
    if v is not None:
        if v.privacy.exact_copies:
            items.append(f"{v.privacy.exact_copies:,} synthetic rows are exact copies of training rows.")
        if v.privacy.near_share > 0.05:
            items.append(f"{v.privacy.near_share:.0%} of synthetic rows are near copies of training rows: do not "
                         "share them outside the organisation as if they were anonymous.")
        if v.detection_auc is not None and v.detection_auc > 0.8:
            items.append(f"A simple model tells synthetic rows from real ones (AUC {v.detection_auc:.2f}).")
    pr = result.comparison.differences["augmented_vs_baseline"]["pr_auc"]
    if pr.ci_low <= 0 <= pr.ci_high:
        items.append("The PR-AUC change is inside split noise: the synthetic rows did not improve ranking.")
    if result.synthetic.warnings:
        items += [f"Generation note: {w}" for w in result.synthetic.warnings]
    return items or ["No specific residual risk was measured; the usual caveat applies: synthetic rows reflect "
                     "the training sample, including its biases."]


def _markdown_cell(value) -> str:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def to_markdown(card: ModelCard) -> str:
    """The card as Markdown (figures are listed by name; the HTML version draws them)."""
    lines = [f"# {_markdown_cell(card.title)}", ""]
    for title, blocks in card.sections:
        lines += [f"## {title}", ""]
        for block in blocks:
            if block.kind == "text":
                lines += [_markdown_cell(block.content), ""]
            elif block.kind == "bullets":
                lines += [f"- {_markdown_cell(item)}" for item in block.content] + [""]
            elif block.kind == "table":
                frame: pd.DataFrame = block.content
                lines.append("| " + " | ".join(_markdown_cell(c) for c in frame.columns) + " |")
                lines.append("|" + "---|" * len(frame.columns))
                lines += ["| " + " | ".join(_markdown_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
                lines.append("")
            elif block.kind == "figure":
                lines += [f"*Figure: {block.content.replace('_', ' ')} (in the HTML model card).*", ""]
    return "\n".join(lines)


def _figure(result: ExperimentResult, name: str):
    if name.startswith("confusion_"):
        return plots.confusion(result, name.removeprefix("confusion_"))
    if name in ("class_counts", "typology"):
        return getattr(plots, name)(result.profile)
    return getattr(plots, name)(result)


def to_html(card: ModelCard, result: ExperimentResult) -> str:
    """One self-contained HTML file: escaped text and tables, plotly charts inline (plotly.js embedded once)."""
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>{html.escape(card.title)}</title><style>body{{font-family:sans-serif;max-width:1100px;"
             "margin:2em auto;color:#1f2a30}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
             "td,th{border:1px solid #ccd;padding:4px 8px;text-align:left}th{background:#eef2f3}</style></head><body>",
             f"<h1>{html.escape(card.title)}</h1>"]
    first_figure = True
    for title, blocks in card.sections:
        parts.append(f"<h2>{html.escape(title)}</h2>")
        for block in blocks:
            if block.kind == "text":
                parts.append(f"<p>{html.escape(str(block.content))}</p>")
            elif block.kind == "bullets":
                parts.append("<ul>" + "".join(f"<li>{html.escape(str(i))}</li>" for i in block.content) + "</ul>")
            elif block.kind == "table":
                parts.append(block.content.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4g}",
                                                   na_rep=""))
            elif block.kind == "figure":
                figure = _figure(result, block.content)
                markup = figure.to_html(full_html=False, include_plotlyjs=first_figure)
                parts.append(markup.replace("</script><script", "</script>\n<script"))
                first_figure = False
    parts.append("</body></html>")
    return "\n".join(parts)


def bundle(result: ExperimentResult) -> bytes:
    """A zip with config.json, model_card.md, model_card.html, synthetic.csv, augmented_train.csv, results.json."""
    import json
    card = build_model_card(result)
    kinds = result.prepared.dataset.column_types
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", config_json(result.config))
        archive.writestr("model_card.md", to_markdown(card))
        archive.writestr("model_card.html", to_html(card, result))
        archive.writestr("synthetic.csv", to_csv_text(result.synthetic.rows, kinds))
        archive.writestr("augmented_train.csv", to_csv_text(augmented_training(result.prepared.train,
                                                                               result.synthetic.rows), kinds))
        archive.writestr("results.json", json.dumps(results_dict(result), indent=2))
    return buffer.getvalue()
