"""The model card's content: the run documented section by section from its real figures (framing and
requirements, imbalance, preparation with its checklist, method, generation with its privacy statement, validation,
evaluation, limitations), in the template's order with the analyst's sections (core.card_notes). The card is plain
text in Blocks; core.card_render escapes and renders it as Markdown and as one self-contained HTML file."""
from __future__ import annotations

import os
import platform
import warnings

import numpy as np
import pandas as pd

from core.advisor import Advice, advise
from core.card_notes import deployment, ethics_bias, ethics_uses
from core.card_render import Block, ModelCard
from core.decision import decision_record
from core.evaluation import conservative_gain, headline_gain
from core.generators.base import SyntheticResult
from core.generators.dp_guarantee import noise_sentence, release_sentence
from core.generators.registry import REGISTRY
from core.models import CLASSIFIERS
from core.pipeline import ExperimentResult
from core.strategies import ARM_LABELS, strategy_words
from core.validation.verdict import NAMES

MET, PARTIAL, NOT_MET = "Met", "Partially met", "Not met"  # R2 and R4; R1 follows core.judgement
JS_LIMIT, COVERAGE_LIMIT, TIME_LIMIT_S = 0.1, 0.5, 600.0
_STEPS = ("1. Problem framing", "2. Imbalance analysis", "3. Data preparation", "4. Method selection",
          "5. Generation", "6. Validation", "7. Model training and evaluation", "9. Limitations and residual risks")
ETHICS_USES = "1.5 Ethical considerations: affected groups and uses"
ETHICS_BIAS = "2.5 Ethical considerations: bias in the data and the synthetic rows"
DEPLOYMENT = "8. Deployment and monitoring"
SECTIONS = (_STEPS[0], ETHICS_USES, _STEPS[1], ETHICS_BIAS, *_STEPS[2:7], DEPLOYMENT, _STEPS[7])  # template order


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
    """R1-R4 with their status from the measured figures (R1 at tuned thresholds, corrected intervals)."""
    comparison, validation, synthetic = result.comparison, result.validation, result.synthetic
    headline = headline_gain(comparison)  # the gain and the verdict the Comparison states (core.judgement)
    fair, target = headline.gain, headline.target
    r1 = f"{MET if headline.met else NOT_MET}: {headline.verdict.words}"
    total = sum(result.seconds.values())
    complete = synthetic is None or synthetic.produced == synthetic.requested
    r2 = MET if total <= TIME_LIMIT_S and complete else PARTIAL if total <= TIME_LIMIT_S or complete else NOT_MET
    if validation is None:
        r4, quality = (NOT_MET, "not measured") if synthetic is not None else (MET, "no synthetic rows to judge")
    else:
        js = float(np.mean([f.js_divergence for f in validation.fidelity.per_feature]))
        good = [js <= JS_LIMIT, validation.coverage.coverage >= COVERAGE_LIMIT]
        r4 = MET if all(good) else PARTIAL if any(good) else NOT_MET
        quality = f"mean JS divergence {js:.3f} (limit {JS_LIMIT}), coverage {validation.coverage.coverage:.2f} " \
                  f"(limit {COVERAGE_LIMIT})"
    rows_made = (f"{synthetic.n_synthetic:,} of {sum(synthetic.requested.values()):,} rows asked for"
                 if synthetic is not None else "no synthetic rows")
    return pd.DataFrame([
        {"requirement": "R1 performance", "measure": f"minority F1 {fair.mean:+.3f} against "
                                                     f"{headline.reference_words} ({headline.judgement.interval_text}"
                                                     f", {comparison.correction}; target {target:+.2f})",
         "status": r1},
        {"requirement": "R2 efficiency", "measure": f"{total:.1f} s in all; {rows_made}", "status": r2},
        {"requirement": "R3 reproducibility", "measure": f"seed {result.config.seed}, config with package versions "
                                                         "and data SHA-256", "status": MET},
        {"requirement": "R4 data quality", "measure": quality, "status": r4}])


def _arms_table(result: ExperimentResult) -> pd.DataFrame:
    rows = []
    for arm, metrics in result.comparison.arms.items():
        row = {"arm": ARM_LABELS.get(arm, arm)}
        for metric in ("minority_f1", "minority_precision", "minority_recall", "pr_auc", "roc_auc", "mcc"):
            s = metrics[metric]
            row[metric] = f"{s.mean:.3f}" + ("" if np.isnan(s.ci_low) else
                                               f" [{s.ci_low:.3f}, {s.ci_high:.3f}]{'*' if s.clipped else ''}")
        rows.append(row)
    return pd.DataFrame(rows)


def _checklist(result: ExperimentResult) -> list[str]:
    dataset, synthetic, validation = result.prepared.dataset, result.synthetic, result.validation
    if synthetic is None:
        return ["[x] no synthetic rows were made: the run judged a strategy without generation",
                "[x] test rows set aside before cleaning (refused by every fitting step)"]
    train, rows = result.prepared.train, synthetic.rows
    levels_ok = all(set(rows[c].dropna().astype(str)) <= set(train[c].dropna().astype(str))
                    for c in dataset.features if dataset.column_types[c] in ("categorical", "boolean"))
    numbers = [c for c in dataset.features if dataset.column_types[c] in ("numeric", "integer")]
    made = rows[numbers].to_numpy(dtype=float, na_value=np.nan)  # one block: a wide table has thousands of columns
    seen = train[numbers].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-empty column has no range; nothing to check
        inside = (made >= np.nanmin(seen, axis=0, initial=np.inf, where=~np.isnan(seen)))
        inside &= made <= np.nanmax(seen, axis=0, initial=-np.inf, where=~np.isnan(seen))
    ranges_ok = bool((inside | np.isnan(made)).all())
    whole = rows[[c for c in dataset.features if dataset.column_types[c] == "integer"]].to_numpy(
        dtype=float, na_value=np.nan)
    integers_ok = bool((np.isnan(whole) | (whole == np.round(whole))).all())

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


def build_model_card(result: ExperimentResult, advice: Advice | None = None, drift=None) -> ModelCard:
    """Fill every section from the run's result objects (drift: the last core.drift.DriftResult, if any)."""
    config, profile, prepared = result.config, result.profile, result.prepared
    synthetic, validation, comparison = result.synthetic, result.validation, result.comparison
    dataset = prepared.dataset
    advice = advice or advise(prepared.advisor_profile, prepared.train_class_counts.get(profile.minority_class))
    info = REGISTRY[synthetic.method_used] if synthetic is not None else None
    versions = config.to_dict()["versions"]
    sections: list[tuple[str, tuple[Block, ...]]] = []

    sections.append((_STEPS[0], (
        Block("text", f"{'Multi-class' if profile.is_multiclass else 'Binary'} classification of "
                      f"'{dataset.target}' in '{dataset.name}'. Primary metric: minority F1 of "
                      f"'{profile.minority_class}'; secondary: precision, recall, PR-AUC, ROC-AUC, MCC. Target: "
                      f"minority F1 {comparison.targets.minority_f1_gain:+.2f} over the best option without synthetic "
                      f"rows ({headline_gain(comparison).reference_words.split(',')[0]} in this run), earned only "
                      "when the gain's corrected 95% interval lies above 0."),
        Block("table", requirements(result)))))

    kinds = ", ".join(f"{n} {k}" for k, n in profile.feature_kinds.items())
    typology = profile.typology.set_index("class")
    sections.append((_STEPS[1], (
        Block("text", profile.summary),
        Block("table", pd.DataFrame([
            {"figure": "rows", "value": f"{profile.n_rows:,}"},
            {"figure": "imbalance ratio", "value": f"{profile.imbalance_ratio} : 1"},
            {"figure": "minority rows (share)", "value": f"{profile.minority_count:,} "
                                                       f"({profile.class_shares[profile.minority_class]:.1%})"},
            {"figure": "classes",
             "value": f"{len(profile.class_counts)} ({'multi-class' if profile.is_multiclass else 'binary'})"},
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
    sections.append((_STEPS[2], tuple(prep_blocks)))

    record = decision_record(result)  # the one story: race, strategy kept, verdict
    race_story = [Block("text", f"Strategy kept: {record.kept.sentence}")]
    if record.race is not None:
        race = record.race
        race_story += [Block("text", f"The strategy race ({CLASSIFIERS[race.classifier]}, {race.folds} folds x "
                                     f"{race.repeats} repeat(s) of the training part) picked "
                                     f"{strategy_words(race.pick)}. {race.explanation}"),
                       Block("table", pd.DataFrame([{"strategy": label, "fold minority F1": f"{f1:.3f}",
                                                     "95% CI": f"{low:.3f} to {high:.3f}", "fold PR-AUC": f"{pr:.3f}"}
                                                    for _, label, f1, low, high, pr in race.candidates
                                                    if f1 == f1]))]
    if synthetic is None:
        sections.append((_STEPS[3], (
            Block("text", f"Strategy: {ARM_LABELS[comparison.subject]}, without synthetic rows: "
                          f"{strategy_words(config.method)}."),
            *race_story,
            Block("table", advice.matrix))))
        sections.append((_STEPS[4], (Block("text", "No synthetic rows were generated for this run."),)))
    else:
        chosen = next((r for r in advice.ranked if r.method == synthetic.method_used), None)
        alternatives = [f"{r.label}: {REGISTRY[r.method].pros} Limits: {REGISTRY[r.method].limits}"
                        for r in advice.ranked if r.method != synthetic.method_used][:4]
        why = ("the strategy race's measurement (below)" if record.race is not None else
               f"not a strategy race's pick on these inputs; the instant ranking's reason: {'; '.join(chosen.reasons)}"
               if chosen else "chosen by the analyst")
        sections.append((_STEPS[3], (
            Block("text", f"Method: {info.label} ({info.family}; {info.library} "
                          f"{versions.get(info.library, '') if info.library in versions else ''}). Why: {why}."),
            *race_story,
            Block("table", pd.DataFrame([{"parameter": k, "value": str(v)} for k, v in synthetic.params.items()])),
            Block("text", "Alternatives considered:"), Block("bullets", alternatives),
            Block("table", advice.matrix))))

        after = {label: n + synthetic.produced.get(label, 0) for label, n in prepared.train_class_counts.items()}
        sections.append((_STEPS[4], (
            Block("table", pd.DataFrame([
                {"item": "framework", "value": f"SynthBalance with {info.library}"},
                {"item": "hardware", "value": hardware()},
                {"item": "execution time", "value": f"{synthetic.seconds:.2f} s (repeat 1)"},
                {"item": "seed", "value": str(synthetic.seed)},
                {"item": "rule", "value": f"{config.amount.rule} {config.amount.value:g}"},
                {"item": "training rows before",
                 "value": ", ".join(f"{k}: {v:,}" for k, v in prepared.train_class_counts.items())},
                {"item": "training rows after", "value": ", ".join(f"{k}: {v:,}" for k, v in after.items())},
                {"item": "constraint rejections", "value": f"{synthetic.rejected_by_constraints:,}"},
                {"item": "density filter drops", "value": f"{synthetic.dropped_by_density:,}"}])),
            Block("text", "Integration: synthetic rows carry their class label and an is_synthetic flag in the "
                          "augmented training table. Test-set isolation: the test rows were split off before cleaning "
                          "and generation; every fitting function refuses them, and they were only scored."),
            Block("bullets", list(synthetic.warnings) or ["No generation warnings."]),
            Block("text", "Privacy guarantee:"), Block("bullets", privacy_statement(synthetic)))))

    if validation is None:
        sections.append((_STEPS[5], (Block("text", "Validation was not run for this configuration." if synthetic
                                           is not None else "No synthetic rows were made, so there is nothing to "
                                           "validate."),)))
    else:
        quality = pd.DataFrame([
            {"metric": "quality score", "value": validation.quality_score,
             "meaning": f"0..1, as {validation.fidelity.reference}"
                        + (f"; per-class mean, {validation.weights_text}" if validation.multiclass else "")},
            *[{"metric": f"quality score, class {c.label}", "value": c.quality_score,
               "meaning": f"{c.n_real:,} real vs {c.n_synthetic:,} synthetic rows"} for c in validation.per_class],
            {"metric": "quality score over every pair", "value": validation.fidelity.quality_score_all_pairs,
             "meaning": "the pair definition before SDMetrics 0.27 (classes pooled)"},
            {"metric": "mean JS divergence (bits)", "value": float(np.mean([f.js_divergence for f in
                                                                            validation.fidelity.per_feature])),
             "meaning": f"0 identical; limit {JS_LIMIT}"},
            {"metric": "coverage", "value": validation.coverage.coverage, "meaning": f"limit {COVERAGE_LIMIT}"},
            {"metric": "precision", "value": validation.coverage.precision, "meaning": "inside the real region"},
            {"metric": "novelty", "value": validation.coverage.novelty, "meaning": "farther than typical gaps"},
            {"metric": "detection AUC", "value": validation.detection_auc, "meaning": "0.5 indistinguishable"
             + ("; per-class mean, weighted as the quality score" if validation.multiclass else "")},
            {"metric": "exact copies", "value": validation.privacy.exact_copies, "meaning": "rows"},
            {"metric": "near copies", "value": validation.privacy.near_copies, "meaning": "rows"},
            {"metric": "DCR share vs holdout", "value": validation.privacy.dcr_share_vs_holdout,
             "meaning": "0.5 ideal; holdout = test rows, read only"},
            {"metric": "median NNDR", "value": validation.privacy.nndr_median, "meaning": "near 0 = one record"},
            {"metric": "identifiability", "value": validation.privacy.identifiability, "meaning": "share"}])
        checks = pd.DataFrame([{"check": NAMES[c.name], "value": c.value, "refine at": c.refine_at,
                                "reject at": c.reject_at, "outcome": c.outcome.text}
                               for c in validation.verdict.checks])
        sections.append((_STEPS[5], (
            Block("table", validation.fidelity.table()[["column", "kind", "shape_score", "js_divergence",
                                                        "ks_statistic", "ks_pvalue", "total_variation"]]),
            Block("table", quality), Block("figure", "feature_shapes"), Block("figure", "coverage_scatter"),
            Block("figure", "dcr_histogram"), Block("table", checks),
            Block("text", validation.verdict.text),
            Block("text", " ".join(reading.sentence for reading in validation.readings)))))

    from core.models import HYPERPARAMETERS
    sections.append((_STEPS[6], (
        Block("text", f"Classifier: {CLASSIFIERS[comparison.classifier]} with {HYPERPARAMETERS[comparison.classifier]}"
                      f", identical in every arm; {comparison.repeats} repeated stratified split(s); training and "
                      f"scoring took {result.seconds['evaluate']:.1f} s. Every arm is also scored at a decision "
                      "threshold tuned on its own training part (never on test rows). Intervals: 95%, "
                      f"{comparison.correction}, which widens the plain interval for overlapping training sets; "
                      "cut to each metric's scale (F1 and PR-AUC in [0, 1], their differences in [-1, 1]; a cut "
                      "interval is marked *); none under 3 repeats."),
        Block("table", _arms_table(result)), Block("figure", "arms"),
        Block("figure", "confusion_baseline"),
        Block("figure", f"confusion_{comparison.subject}"),
        Block("text", comparison.verdict),
        *((Block("table", result.detail.fairness),) if result.detail.fairness is not None else ()))))

    sections.append((_STEPS[7], (Block("bullets", limitations(result)),)))
    sections += [(ETHICS_USES, ethics_uses(result)), (ETHICS_BIAS, ethics_bias(result)),
                 (DEPLOYMENT, deployment(result, drift))]
    sections.sort(key=lambda section: SECTIONS.index(section[0]) if section[0] in SECTIONS else len(SECTIONS))
    subject = "synthetic minority rows" if synthetic is not None else ARM_LABELS[comparison.subject]
    return ModelCard(title=f"Model card: {subject} for '{dataset.target}' ({dataset.name})",
                     sections=tuple(sections))


NOT_COVERED_BY_DP = ("Covers the generator and the synthetic rows only: the comparison's classifiers, their "
                     "thresholds, the validation figures and this card's figures are computed from the real rows "
                     "and carry no privacy guarantee, so share the synthetic rows, not the models.")


def privacy_statement(synthetic: SyntheticResult) -> list[str]:
    """The privacy part of the card in words: the (epsilon, delta) guarantee, how it was computed, what it
    protects and what was treated as public; or that there is none."""
    guarantee = synthetic.privacy
    if guarantee is None:
        return [f"No formal privacy guarantee: {REGISTRY[synthetic.method_used].label} is not trained with "
                "differential privacy. The privacy figures of the validation measure risk after the fact; they do "
                "not bound it."]
    return [f"Differentially private with epsilon = {guarantee.epsilon:.4g} and delta = {guarantee.delta:.2g} "
            f"(target epsilon {guarantee.target_epsilon:g}), {guarantee.adjacency} adjacency: replacing any one "
            f"protected row by another changes the chance of any output by at most a factor "
            f"e^{guarantee.epsilon:.3g} = {np.exp(guarantee.epsilon):.3g}. Delta is the chance that the guarantee "
            "fails altogether.",
            release_sentence(guarantee),
            f"Mechanism: {guarantee.mechanism}; noise multiplier {guarantee.noise_multiplier:.3g}, sampling rate "
            f"{guarantee.sample_rate:.3g}, {guarantee.steps:,} steps.",
            f"Accountant: {guarantee.accountant}, computed by {guarantee.library} (not by hand): epsilon "
            f"{guarantee.accountant_epsilon:.4g} at delta {guarantee.accountant_delta:.2g} for adding or removing "
            "a row, doubled for replacing one (group privacy).",
            f"Protects: {guarantee.protects}.",
            NOT_COVERED_BY_DP,
            "Public, not paid for from the budget: " + "; ".join(guarantee.public) + ".",
            noise_sentence(guarantee)]


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
    pr = conservative_gain(result.comparison, "pr_auc")
    if result.synthetic is not None and not np.isnan(pr.ci_low) and pr.ci_low <= 0 <= pr.ci_high:
        items.append("The PR-AUC change is inside split noise: the synthetic rows did not improve ranking.")
    if result.synthetic is not None and result.synthetic.warnings:
        items += [f"Generation note: {w}" for w in result.synthetic.warnings]
    return items or ["No specific residual risk was measured; the usual caveat applies: synthetic rows reflect "
                     "the training sample, including its biases."]
