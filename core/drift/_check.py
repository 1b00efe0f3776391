"""The drift check and its verdict: every test of one batch (features, missing shares, minority rows, prior,
concept) judged together on Holm-adjusted p-values, the reasons in words, and the next step (keep, watch, fix the
feed, or the exact re-run command).
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.data import NUMBER_KINDS, Dataset
from core.drift._concept import concept_drift, prior_shift
from core.drift._features import feature_drift, judge_feature
from core.drift._results import DriftResult, FeatureDrift, Verdict, tiered, worst
from core.drift._schema import SchemaReport, conform_batch, level_text
from core.drift._stats import holm_adjusted, p_is
from core.drift._thresholds import DriftThresholds


def check_drift(reference: Dataset, new: pd.DataFrame, config=None, thresholds: DriftThresholds = DriftThresholds(),
                label_free: bool = False, concept: bool = True, seed: int = 42,
                config_path: str = "config.json", batch: str = "", batch_sha256: str = "") -> DriftResult:
    """Compare a new batch (a raw frame as read from a file; `batch` its file name, quoted in every verdict, and
    `batch_sha256` its content hash, so a page can tell a result from another file's) with the reference.

    reference: the validated dataset the run was built on. With a RunConfig the reference rows are the
    config's training part (split with its seed and test share); without, every reference row.
    label_free: skip everything that needs the target (also automatic when the batch has no target values).
    Every test of the check is judged on its Holm-adjusted p-value (family-wise level thresholds.alpha).
    """
    thresholds.check()
    frame, schema = conform_batch(reference, new)
    named = f"the new batch '{batch}'" if batch else "the new batch"
    target = reference.target
    if config is not None:
        from core.split import split_dataset
        reference_rows = split_dataset(reference, config.test_size, config.seed).train
        described = f"the training part of '{reference.name}' (seed {config.seed}, test share {config.test_size:.0%})"
    else:
        reference_rows = reference.frame
        described = f"every row of '{reference.name}'"
    kinds = reference.column_types
    columns = [c for c in reference.features if c in frame.columns]
    numeric = {c: kinds[c] in NUMBER_KINDS for c in columns}
    reference_rows = reference_rows.assign(**{c: level_text(reference_rows[c]) for c in columns if not numeric[c]})
    features = [feature_drift(reference_rows[c], frame[c], numeric[c], c) for c in columns]
    with_labels = schema.target_present and not label_free
    counts = reference.class_counts
    minority = min(counts.index.astype(str), key=lambda c: (counts[c], c))
    minority_features, prior, concept_result = [], None, None
    concept_skipped = ""
    if with_labels:
        prior = prior_shift(reference_rows[target], frame[target], minority)
        ref_minority = reference_rows.loc[reference_rows[target].astype(str) == minority]
        new_minority = frame.loc[frame[target].astype(str) == minority]
        if len(new_minority):
            minority_features = [feature_drift(ref_minority[c], new_minority[c], numeric[c], c) for c in columns]
        if concept and not schema.missing_columns and not schema.retyped:
            concept_result = concept_drift(reference, frame, minority, config, seed)
        elif concept:
            concept_skipped = ("Concept drift not measured: the model needs every feature, and "
                               f"{', '.join(map(repr, schema.unchecked))} could not be read from {named}.")
    # One family of tests: each feature's distribution and missing share (whole batch, then minority rows), the
    # prior, then minority recall and precision; Holm's step-down keeps the chance of any false alarm <= alpha.
    concept_tests = [m for m in concept_result.metrics if m.p_value is not None] if concept_result else []
    raw = ([f.p_value for f in features] + [f.missing_p_value for f in features]
           + [f.p_value for f in minority_features] + [f.missing_p_value for f in minority_features]
           + ([prior.p_value] if prior is not None else []) + [m.p_value for m in concept_tests])
    adjusted = list(holm_adjusted(raw))
    n_tests = len(raw)

    def take(count: int) -> list[float]:
        taken = adjusted[:count]
        del adjusted[:count]
        return taken
    shape_p, missing_p = take(len(features)), take(len(features))
    features = [judge_feature(f, thresholds, a, m) for f, a, m in zip(features, shape_p, missing_p)]
    shape_p, missing_p = take(len(minority_features)), take(len(minority_features))
    minority_features = [judge_feature(f, thresholds, a, m) for f, a, m in zip(minority_features, shape_p, missing_p)]
    prior_p = take(1)[0] if prior is not None else 1.0
    concept_p = take(len(concept_tests))
    alpha = thresholds.alpha
    reasons, verdict = [], Verdict.STABLE
    if schema.missing_columns or schema.retyped:
        verdict = Verdict.RERUN
        unchecked = "; ".join(f"'{c}' ({why.removeprefix('not checked: ').rstrip('.')})"
                              for c, why in schema.unchecked.items())
        reasons.append(f"{named[0].upper()}{named[1:]} does not match the reference's columns, and these are not "
                       f"checked: {unchecked}"
                       + ". Fix the feed: the model needs these columns as it learned them.")
    if concept_skipped:
        reasons.append(concept_skipped)
    for f in features:
        reasons += _feature_reasons(f, "")
    for f in minority_features:
        reasons += _feature_reasons(f, f"Among '{minority}' rows, ")
    verdict = worst(verdict, *(f.status for f in features), *(f.status for f in minority_features))
    if prior is not None:
        significant = prior_p < alpha
        status = tiered(significant, prior.relative_change, thresholds.prior_shift_rerun,
                        thresholds.prior_shift_watch)
        prior = replace(prior, status=status)
        if status != Verdict.STABLE:
            reasons.append(f"The share of '{minority}' moved from {prior.reference_share:.1%} to {prior.new_share:.1%} "
                           f"(difference 95% CI {prior.difference_interval[0]:+.1%} to "
                           f"{prior.difference_interval[1]:+.1%}).")
        verdict = worst(verdict, status)
    if concept_result is not None:
        judged, adjusted_of = [], dict(zip([m.metric for m in concept_tests], concept_p))
        for shift in concept_result.metrics:
            if shift.p_value is not None:
                drop = shift.test_value - shift.new_value
                significant = adjusted_of[shift.metric] < alpha and drop > 0
                status = tiered(significant, drop, thresholds.recall_drop_rerun, thresholds.recall_drop_watch)
                shift = replace(shift, status=status)
                if status != Verdict.STABLE:
                    reasons.append(f"On {named}, {shift.sentence} at the deployed decision "
                                   f"({concept_result.decision}; difference 95% CI {shift.interval[0]:+.2f} "
                                   f"to {shift.interval[1]:+.2f}, {p_is(shift.p_value)}).")
                verdict = worst(verdict, status)
            judged.append(shift)
        concept_result = replace(concept_result, metrics=tuple(judged))
    # Categories the reference never had are listed in the schema report; they change the verdict only through
    # their feature's PSI and test (a rare level that one random half lacks is not drift).
    unconfirmed = [(f, "") for f in features if f.unconfirmed and f.status == Verdict.STABLE] + [
        (f, f" among '{minority}' rows") for f in minority_features if f.unconfirmed and f.status == Verdict.STABLE]
    if unconfirmed:
        reasons.append("Not confirmed, so not called stable: " + "; ".join(
            f"'{f.column}'{where} has PSI {f.psi:.2f} from {f.new_rows:,} new rows, but the test cannot tell it "
            f"from chance (Holm-adjusted {p_is(f.p_adjusted)})" for f, where in unconfirmed)
            + ". Check a larger batch before relying on these features.")
    if verdict == Verdict.STABLE and not unconfirmed and not concept_skipped:
        reasons.insert(0, f"No feature{'' if not with_labels else ', prior or model figure'} moved beyond its "
                          f"threshold ({n_tests} tests, Holm-corrected to a family-wise level of {alpha:.0%}).")
    elif verdict == Verdict.STABLE:
        reasons.insert(0, f"No test found a shift beyond its threshold ({n_tests} tests, Holm-corrected to a "
                          f"family-wise level of {alpha:.0%}).")
    return DriftResult(verdict=verdict, reasons=tuple(reasons),
                       next_step=next_step(verdict, config, config_path, schema, named),
                       thresholds=thresholds, schema=schema, features=tuple(features),
                       minority_features=tuple(minority_features), prior=prior, concept=concept_result,
                       label_free=not with_labels, reference_rows=int(len(reference_rows)), new_rows=int(len(frame)),
                       tests=n_tests, per_test_alpha=alpha / max(n_tests, 1), reference=described, batch=batch,
                       batch_sha256=batch_sha256)


def _feature_reasons(f: FeatureDrift, where: str) -> list[str]:
    """The verdict's sentences for one judged feature: its distribution and its missing share (empty when stable)."""
    out = []
    if f.shape_status != Verdict.STABLE:
        out.append(f"{where}'{f.column}' shifted: PSI {f.psi:.2f} ({f.statistic_name} {f.statistic:.2f}, "
                   f"Holm-adjusted {p_is(f.p_adjusted)})"
                   + ("; the generator learned from the old minority rows." if where else "."))
    if f.missing_status != Verdict.STABLE:
        out.append(f"{where}'{f.column}' is missing in {f.new_missing:.0%} of the new rows against "
                   f"{f.reference_missing:.0%} in the reference (Holm-adjusted {p_is(f.missing_p_adjusted)}).")
    return out


def next_step(verdict: Verdict, config=None, config_path: str = "config.json", schema: SchemaReport | None = None,
              named: str = "the new batch") -> str:
    """What to do now, in words: fix the feed when the batch lacks or mistypes a column the model needs (a re-run
    cannot help: the model needs the column); for a re-run the exact command with the config's seed and settings,
    and 'refreshed minority rows' only for a run that made synthetic rows from them."""
    if schema is not None and schema.unchecked:
        missing, retyped = schema.missing_columns, list(schema.retyped)
        parts = []
        if missing:
            parts.append(f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                         f"{'are' if len(missing) > 1 else 'is'} missing from {named}")
        if retyped:
            parts.append(f"column{'s' if len(retyped) > 1 else ''} {', '.join(map(repr, retyped))} "
                         f"{'hold' if len(retyped) > 1 else 'holds'} values of another kind")
        return (f"Fix the feed: {' and '.join(parts)}. The model needs every feature it learned on; send the batch "
                "with these columns as the reference has them, then check it again.")
    if verdict == Verdict.STABLE:
        return "Keep the model; check the next batch the same way."
    if verdict == Verdict.WATCH:
        return "Keep the model, and check again on the next batch (or a larger one) before acting."
    if config is None:
        return ("Re-run the pipeline on refreshed data that includes the new batch, then compare the new run "
                "against the current one before switching.")
    from core.models import CLASSIFIERS
    from core.strategies import NO_GENERATION
    from core.strategies import strategy_words as label_of
    synthetic = config.method not in NO_GENERATION
    data = ("refreshed data, so the generator learns from refreshed minority rows" if synthetic else
            "refreshed data (this run made no synthetic rows: the model is refitted on the refreshed rows)")
    return (f"Re-run the pipeline on {data}, with the same settings: `python -m core run --config "
            f"{config_path} --data NEW_FILE --refreshed --out NEW_DIR` (seed {config.seed}, "
            f"{label_of(config.method)}, {CLASSIFIERS.get(config.classifier, config.classifier)}, "
            f"{config.repeats} repeat(s)). Compare its results.json with the stored run before switching; the "
            f"current {config_path} is the rollback.")
