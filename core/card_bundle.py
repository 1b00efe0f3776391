"""The model card outside the app: the deployed model's section (calibration and threshold, read from a model
bundle's manifest) added to a bundle's card, and a run's files in one zip (config, card, summary, synthetic and
augmented rows, results.json, drift.json)."""
from __future__ import annotations

import io
import zipfile

import pandas as pd

from core.card_render import Block, ModelCard, to_html, to_markdown
from core.config import config_json
from core.export import augmented_training, to_csv_text
from core.pipeline import ExperimentResult
from core.report import build_model_card
from core.results import results_dict
from core.summary import to_html as summary_html

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
