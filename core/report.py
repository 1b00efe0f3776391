"""The model card: the run documented section by section from its real figures, as Markdown and as one
self-contained HTML file. Text is escaped where it is rendered, whatever its origin (training, test or synthetic
rows, config): every cell, paragraph and bullet in Markdown by core.text.escape_markdown, in HTML by
core.text.escape_html, chart text by core.plots.inert; the renderers add only their own markup around it, so no file
name, column name, label or category value becomes a link, an image or a tag."""
from __future__ import annotations

import io
import os
import platform
import warnings
import zipfile
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core import plots
from core.advisor import Advice, advise
from core.config import config_json
from core.decision import decision_record
from core.errors import ConfigError, SynthBalanceError
from core.evaluation import conservative_gain, headline_gain
from core.export import augmented_training, to_csv_text
from core.generators.base import SyntheticResult
from core.generators.dp_guarantee import noise_sentence, release_sentence
from core.generators.registry import REGISTRY
from core.models import CLASSIFIERS
from core.pipeline import ExperimentResult
from core.results import results_dict
from core.strategies import ARM_LABELS, strategy_words
from core.summary import to_html as summary_html
from core.text import escape_html, escape_markdown
from core.validation.verdict import NAMES

MET, PARTIAL, NOT_MET = "Met", "Partially met", "Not met"  # R2 and R4; R1 follows core.judgement
JS_LIMIT, COVERAGE_LIMIT, TIME_LIMIT_S = 0.1, 0.5, 600.0
_STEPS = ("1. Problem framing", "2. Imbalance analysis", "3. Data preparation", "4. Method selection",
          "5. Generation", "6. Validation", "7. Model training and evaluation", "9. Limitations and residual risks")
ETHICS_USES = "1.5 Ethical considerations: affected groups and uses"
ETHICS_BIAS = "2.5 Ethical considerations: bias in the data and the synthetic rows"
DEPLOYMENT = "8. Deployment and monitoring"
SECTIONS = (_STEPS[0], ETHICS_USES, _STEPS[1], ETHICS_BIAS, *_STEPS[2:7], DEPLOYMENT, _STEPS[7])  # template order
NOT_PROVIDED = "not provided"
MAX_NOTE_CHARACTERS = 2000
CARD_FIELDS = {  # name -> (label, the question the analyst answers); saved in RunConfig.card_notes
    "affected_groups": ("Affected groups", "Who is affected by the model's decisions, and how?"),
    "intended_uses": ("Intended uses", "What decisions is the model meant to support, and by whom?"),
    "out_of_scope_uses": ("Out-of-scope uses", "Which uses must it not be put to?"),
    "known_biases": ("Known biases in the source data", "How was the data collected; who is missing or "
                                                       "over-sampled; which labels may be unreliable?"),
    "reviewed_by": ("Reviewed by", "Who reviewed this card and the synthetic rows (name, role, date)?"),
    "target_environment": ("Target environment", "Where will the model run (system, batch or real time)?"),
    "owner": ("Owner", "Who is responsible for the model in production?"),
    "retraining_trigger": ("Retraining trigger", "When is the pipeline re-run (drift verdict, schedule, "
                                                 "new minority data)?"),
    "rollback_procedure": ("Rollback procedure", "How is the previous model restored, and by whom?"),
}
ETHICS_FIELDS = ("affected_groups", "intended_uses", "out_of_scope_uses", "reviewed_by")
BIAS_FIELDS = ("known_biases",)
DEPLOYMENT_FIELDS = ("target_environment", "owner", "retraining_trigger", "rollback_procedure")
ATTRIBUTE_NOTE = "sensitive_attribute"  # card_notes key: the attribute whose group representation the card shows


@dataclass(frozen=True)
class Block:
    """One piece of a section: kind 'text' (a paragraph), 'bullets' (list of str), 'table' (DataFrame),
    'fields' (tuple of (label, analyst text or None), shown escaped or as 'not provided'), or 'figure' (the name
    of a function in core.plots)."""
    kind: str
    content: object


@dataclass(frozen=True)
class ModelCard:
    """The card's text and tables, as plain text: the renderers (to_markdown, to_html) escape all of it."""
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
               f"no strategy race ran on these inputs; the instant ranking's reason: {'; '.join(chosen.reasons)}"
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


def card_notes(notes: dict) -> dict[str, str]:
    """The analyst's card fields, checked: known names only, text only, stripped, empty ones left out."""
    if not isinstance(notes, dict):
        raise ConfigError("The card notes must be a mapping of field name to text.")
    unknown = sorted(set(notes) - set(CARD_FIELDS) - {ATTRIBUTE_NOTE})
    if unknown:
        raise ConfigError(f"Unknown model card field(s): {', '.join(unknown)}. Known: {', '.join(CARD_FIELDS)}.")
    out = {}
    for name, value in notes.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise ConfigError(f"The model card field '{name}' must be text.")
        if len(value) > MAX_NOTE_CHARACTERS:
            raise ConfigError(f"The model card field '{name}' is longer than {MAX_NOTE_CHARACTERS:,} characters.")
        if value.strip():
            out[name] = value.strip()
    return out


def with_card_notes(result: ExperimentResult, notes: dict) -> ExperimentResult:
    """The same run with the analyst's card fields saved in its config (nothing is recomputed)."""
    return replace(result, config=replace(result.config, card_notes=card_notes(notes)))


def _fields(result: ExperimentResult, names: tuple[str, ...]) -> Block:
    notes = result.config.card_notes or {}
    return Block("fields", tuple((CARD_FIELDS[n][0], notes.get(n) or None) for n in names))


def ethics_uses(result: ExperimentResult) -> tuple[Block, ...]:
    """Section 1.5: who the model affects and what it is for, in the analyst's words (never invented)."""
    return (Block("text", "Written by the analyst on the Report page and saved in the run config; a field left "
                          f"empty reads '{NOT_PROVIDED}'."), _fields(result, ETHICS_FIELDS))


def ethics_bias(result: ExperimentResult) -> tuple[Block, ...]:
    """Section 2.5: the minority's share and typology, group representation of the synthetic rows and per-group
    model figures (for the chosen sensitive attribute), and the analyst's known biases."""
    from core.representation import run_representation
    profile, prepared = result.profile, result.prepared
    minority = profile.minority_class
    typology = profile.typology.set_index("class")
    blocks = [_fields(result, BIAS_FIELDS)]
    share = profile.class_shares[minority]
    text = (f"The minority '{minority}' is {share:.1%} of the rows ({profile.minority_count:,}; ratio "
            f"{profile.imbalance_ratio} : 1). "
            + (f"The synthetic rows are built from its {prepared.train_class_counts.get(minority, 0):,} training "
               "rows only, so whatever those rows over- or under-represent, the synthetic rows repeat and amplify."
               if result.synthetic is not None else
               f"No synthetic rows were made; the model learns from its "
               f"{prepared.train_class_counts.get(minority, 0):,} training rows as they are."))
    if minority in typology.index:
        row = typology.loc[minority]
        total = max(int(row.sum()), 1)
        text += (" Neighbourhood typology of the minority: " + ", ".join(
            f"{name} {int(row[name]) / total:.0%}" for name in row.index) + " (rare and outlier rows are where "
            "interpolation invents the most).")
    blocks.append(Block("text", text))
    attribute = (result.config.card_notes or {}).get(ATTRIBUTE_NOTE) or result.config.sensitive_attribute
    if not attribute:
        blocks.append(Block("text", "Group representation: no sensitive attribute was chosen, so who the synthetic "
                                    "rows represent was not measured (choose one on the Report page)."))
        return tuple(blocks)
    try:
        groups = run_representation(result, attribute)
    except SynthBalanceError as exc:
        return (*blocks, Block("text", f"Group representation of '{attribute}' could not be measured: {exc}"))
    flagged = groups.flagged
    blocks.append(Block("text", f"Group representation of '{attribute}'"
                                f"{' (numbers cut at the real minority quartiles)' if groups.binned else ''}: share "
                                "of each group among the real training minority rows and among the synthetic rows; "
                                f"flagged beyond {groups.limit * 100:.0f} percentage points. "
                                + ("Flagged: " + "; ".join(f"'{g.group}' {g.flag} ({g.difference:+.1%})"
                                                           for g in flagged) + "." if flagged
                                   else "No group is under- or over-represented beyond the limit.")))
    table = groups.table()[["group", "real_rows", "real_share", "synthetic_rows", "synthetic_share", "difference",
                            "flag", "copies", "median_dcr"]]
    blocks.append(Block("table", table))
    if groups.performance is not None:
        blocks.append(Block("text", f"Per-group model figures on the test rows (repeat 1), by '{attribute}':"))
        blocks.append(Block("table", groups.performance))
    return tuple(blocks)


def deployment(result: ExperimentResult, drift=None) -> tuple[Block, ...]:
    """Section 8: the analyst's deployment fields, the drift thresholds in force, the monitored metrics with their
    test-time values as the baseline, and the last drift check's verdict."""
    from core.drift import REASONS, DriftThresholds
    thresholds = drift.thresholds if drift is not None else DriftThresholds()
    kept = decision_record(result).kept
    subject = kept.monitored_arm  # the model that goes forward (not augmented rows the verdict did not earn)
    deployed = result.comparison.arms[subject]
    metrics = pd.DataFrame([{"metric": name.replace("_", " "), "test-time value": f"{deployed[name].mean:.3f}",
                             "95% CI over repeats": "none (under 3 repeats)" if np.isnan(deployed[name].ci_low)
                             else f"{deployed[name].ci_low:.3f} to {deployed[name].ci_high:.3f}"}
                            for name in ("minority_recall", "minority_precision", "minority_f1", "pr_auc")])
    minority = result.profile.minority_class
    share = result.prepared.train_class_counts.get(minority, 0) / max(len(result.prepared.train), 1)
    metrics.loc[len(metrics)] = {"metric": f"share of '{minority}'", "test-time value": f"{share:.3f}",
                                 "95% CI over repeats": "training part"}
    limits = pd.DataFrame([{"threshold": name, "value": getattr(thresholds, name), "why": REASONS[name]}
                           for name in REASONS])
    if drift is None:
        check = ("No drift check has been run for this model yet: use the Monitor page or `python -m core drift "
                 f"--config config.json --reference {result.config.data or 'DATA_FILE'} --new FILE --out DIR` on "
                 "each new batch.")
    else:
        check = (f"Last drift check: {drift.verdict.value} on {drift.new_rows:,} rows of {drift.about}. "
                 + " ".join(drift.reasons) + f" Next step: {drift.next_step}")
    config = result.config
    return (_fields(result, DEPLOYMENT_FIELDS),
            Block("text", f"Monitored metrics and their test-time values ({ARM_LABELS[subject]}), the baseline a new "
                          f"batch is compared with: {kept.monitored_sentence}"), Block("table", metrics),
            Block("text", "Drift thresholds in force (verdict: stable, watch or re-run):"), Block("table", limits),
            Block("text", check),
            Block("text", f"Re-run and rollback: when the verdict is re-run, re-run this config (seed {config.seed}, "
                          f"strategy '{strategy_words(kept.monitored)}') on refreshed data and compare against this "
                          "run before switching; this run's config.json, with its data SHA-256, is the configuration "
                          "to roll back to."))


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


def _markdown_cell(value) -> str:
    """A value as Markdown text, escaped in full (core.text.escape_markdown) whatever its origin: the renderer
    cannot tell a test-only category level from its own words, so it escapes both; rendered, they read the same."""
    return escape_markdown(f"{value:.4g}" if isinstance(value, float) else value)


def to_markdown(card: ModelCard) -> str:
    """The card as Markdown (figures are listed by name; the HTML version draws them)."""
    cell = _markdown_cell

    def bullet(item) -> str:
        mark = str(item)[:4] if str(item)[:4] in ("[x] ", "[ ] ") else ""  # the checklist's own boxes
        return f"- {mark}{cell(str(item)[len(mark):])}"
    lines = [f"# {cell(card.title)}", ""]
    for title, blocks in card.sections:
        lines += [f"## {title}", ""]
        for block in blocks:
            if block.kind == "text":
                lines += [cell(block.content), ""]
            elif block.kind == "bullets":
                lines += [bullet(item) for item in block.content] + [""]
            elif block.kind == "table":
                frame: pd.DataFrame = block.content
                lines.append("| " + " | ".join(cell(c) for c in frame.columns) + " |")
                lines.append("|" + "---|" * len(frame.columns))
                lines += ["| " + " | ".join(cell(v) for v in row) + " |"
                          for row in frame.itertuples(index=False)]
                lines.append("")
            elif block.kind == "fields":
                lines += [f"- **{label}:** {cell(value) if value else '*' + NOT_PROVIDED + '*'}"
                          for label, value in block.content] + [""]
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
             f"<title>{escape_html(card.title)}</title><style>body{{font-family:sans-serif;max-width:1100px;"
             "margin:2em auto;color:#1f2a30}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
             "td,th{border:1px solid #ccd;padding:4px 8px;text-align:left}th{background:#eef2f3}</style></head><body>",
             f"<h1>{escape_html(card.title)}</h1>"]
    first_figure = True
    for title, blocks in card.sections:
        parts.append(f"<h2>{escape_html(title)}</h2>")
        for block in blocks:
            if block.kind == "text":
                parts.append(f"<p>{escape_html(str(block.content))}</p>")
            elif block.kind == "bullets":
                parts.append("<ul>" + "".join(f"<li>{escape_html(str(i))}</li>" for i in block.content) + "</ul>")
            elif block.kind == "table":
                parts.append(block.content.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4g}",
                                                   na_rep=""))
            elif block.kind == "fields":
                parts.append("<ul>" + "".join(
                    f"<li><strong>{escape_html(label)}:</strong> "
                    f"{escape_html(value) if value else '<em>' + NOT_PROVIDED + '</em>'}</li>"
                    for label, value in block.content) + "</ul>")
            elif block.kind == "figure":
                figure = plots.inert(_figure(result, block.content))
                markup = figure.to_html(full_html=False, include_plotlyjs=first_figure)
                parts.append(markup.replace("</script><script", "</script>\n<script"))
                first_figure = False
    parts.append("</body></html>")
    return "\n".join(parts)


BUNDLE_SECTION = "10. The deployed model: calibration and threshold"


def bundle_blocks(manifest: dict) -> tuple[Block, ...]:
    """The model bundle's calibration (before / after, out of fold on the training part) and its threshold, read
    from the bundle's manifest (core.bundle_export writes it)."""
    calibration, threshold = manifest["calibration"], manifest["threshold"]
    rows = [{"probabilities": name, "Brier score": figures["brier"], "calibration intercept": figures["intercept"],
             "calibration slope": figures["slope"]}
            for name, figures in (("the model's own", calibration["before"]),
                                  (f"shipped ({calibration['method']})", calibration["after"]))]
    spread = threshold.get("spread")
    spread_text = ("" if not spread else f" Over the {threshold['folds']} folds each fold's own best threshold ran "
                   f"from {spread['min']:.2f} to {spread['max']:.2f} (sd {spread['sd']:.3f}).")
    check = calibration["check"]
    return (Block("text", f"Measured on {calibration['measured_on']}: {calibration['kept_because']}."),
            Block("table", pd.DataFrame(rows)),
            Block("text", f"Decision threshold on P('{manifest['minority']}'): {threshold['value']:.4g}, "
                          f"{threshold['how']}.{spread_text}"),
            Block("text", "Calibration check for label-free monitoring: " + (
                "passed" if check["passed"] else "not passed") + f" (slope within {check['slope_range'][0]} to "
                f"{check['slope_range'][1]}, intercept within +/-{check['intercept_limit']})."))


def bundle_card_section(manifest: dict) -> str:
    """The bundle's section of the model card as Markdown (appended to the run's card in the bundle)."""
    text = to_markdown(ModelCard("", ((BUNDLE_SECTION, bundle_blocks(manifest)),)))
    return text.split("\n", 2)[2]


def with_bundle_section_html(card_html: str, manifest: dict) -> str:
    """The HTML card with the bundle's section added before its end (escaped as every other section)."""
    page = to_html(ModelCard("", ((BUNDLE_SECTION, bundle_blocks(manifest)),)), None)
    section = page[page.index("<h2>"):page.rindex("</body>")]
    end = card_html.rfind("</body>")
    return card_html + section if end < 0 else card_html[:end] + section + card_html[end:]


def bundle(result: ExperimentResult, drift=None) -> bytes:
    """A zip with config.json, model_card.md, model_card.html, summary.html, synthetic.csv, augmented_train.csv,
    results.json (and drift.json when a drift check is given)."""
    import json
    card = build_model_card(result, drift=drift)
    kinds = result.prepared.dataset.column_types
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", config_json(result.config))
        archive.writestr("model_card.md", to_markdown(card))
        archive.writestr("model_card.html", to_html(card, result))
        archive.writestr("summary.html", summary_html(result))
        if result.synthetic is not None:
            archive.writestr("synthetic.csv", to_csv_text(result.synthetic.rows, kinds))
            archive.writestr("augmented_train.csv", to_csv_text(augmented_training(result.prepared.train,
                                                                                   result.synthetic.rows), kinds))
        archive.writestr("results.json", json.dumps(results_dict(result), indent=2))
        if drift is not None:
            from core.drift import drift_dict
            archive.writestr("drift.json", json.dumps(drift_dict(drift), indent=2))
    return buffer.getvalue()
