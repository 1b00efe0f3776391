"""The analyst's part of the model card: the fields they write on the Report page (checked, saved in the run's
config, never invented), and the sections built around them: 1.5 affected groups and uses, 2.5 bias in the data and
the synthetic rows (with group representation for the chosen sensitive attribute), 8 deployment and monitoring."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.card_render import NOT_PROVIDED, Block
from core.decision import decision_record
from core.errors import ConfigError, SynthBalanceError
from core.pipeline import ExperimentResult
from core.strategies import ARM_LABELS, strategy_words

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
