"""Report: the model card of the last comparison run, its downloads, and replaying a saved config."""
from __future__ import annotations

import streamlit as st

from core import summary
from core.bundle_export import build_bundle
from core.bundle_files import bundle_zip
from core.card_bundle import bundle, bundle_blocks
from core.card_notes import (
    ATTRIBUTE_NOTE,
    BIAS_FIELDS,
    CARD_FIELDS,
    ETHICS_FIELDS,
    MAX_NOTE_CHARACTERS,
    with_card_notes,
)
from core.card_render import NOT_PROVIDED, to_html, to_markdown
from core.config import config_json, read_config
from core.data import sha256_of, table_for_config
from core.decision import decision_record
from core.errors import SynthBalanceError
from core.estimates import check_run_cost
from core.pipeline import run_experiment
from core.plots import inert, reliability
from core.report import build_model_card
from core.representation import REPRESENTATION_LIMIT, run_representation
from core.strategies import strategy_words
from core.text import escape_markdown
from pages import _flow, _state, _summary

st.title("Report")
summary_box = st.container()  # the stakeholder Summary goes on top; filled once the run to show is known
st.caption("The run documented section by section from its real figures, and a config that replays it exactly.")

with st.expander("Replay a saved config", expanded=_state.experiment() is None):
    upload = st.file_uploader("config.json from an earlier run", type=["json"], key="config_upload")
    if upload is not None:
        raw = upload.getvalue()
        digest = sha256_of(raw)
        if _state.replayed() != digest:
            table = _state.table()
            try:
                config = read_config(raw.decode("utf-8", errors="replace"))
                if not config.data_sha256:
                    raise SynthBalanceError("This config has no data_sha256, so its data cannot be checked. Use a "
                                            "config saved by the app or by `python -m core run`.")
                matched = None if table is None else table_for_config(table, config.target, config.data_sha256)
                if matched is not None and matched is not table:  # the file, but with its labels merged
                    raise SynthBalanceError(f"This config was made after merging the look-alike labels of "
                                            f"'{config.target}': merge them on the Data page, then replay.")
                if matched is None:
                    raise SynthBalanceError(f"This config was made from '{config.data}' (SHA-256 "
                                            f"{config.data_sha256[:12]}...), not from the loaded table. Load that "
                                            "file on the Data page first.")
                _state.set_target(config.target)
                _state.set_type_overrides(dict(config.column_types))
                dataset = _flow.current_dataset()
                if dataset is None:
                    st.stop()
                check_run_cost(config, dataset)  # refused before it starts when estimated over the limit
                replayed = strategy_words(config.method)
                with st.spinner(f"Replaying {escape_markdown(replayed)} with {config.repeats} repeat(s)..."):
                    result = run_experiment(dataset, config)
            except SynthBalanceError as exc:
                st.error(escape_markdown(exc))
            else:
                _state.adopt_replayed(config)  # before the run is stored: a new split clears the old results
                _state.set_experiment(result)
                _state.set_replayed(digest)
                st.success(escape_markdown(f"Replayed {replayed} on {config.data} with seed {config.seed}."))

result = _state.experiment()
if result is None:
    _flow.need(None, "Run the comparison first (or replay a config above).", "pages/comparison.py",
               "Go to Comparison")
drift = _state.drift()
notes = result.config.card_notes or {}
with st.expander("Model card fields: ethics, deployment and monitoring", expanded=not notes):
    st.caption("Your answers are saved in the run config (config.json) and shown escaped in the card; a field left "
               f"empty reads '{NOT_PROVIDED}', never an invented answer.")
    with st.form("card_notes_form"):
        for name in CARD_FIELDS:
            if f"w_card_{name}" not in st.session_state:
                st.session_state[f"w_card_{name}"] = notes.get(name, "")
        columns = st.columns(2)
        for index, (name, (label, question)) in enumerate(CARD_FIELDS.items()):
            columns[0 if name in (*ETHICS_FIELDS, *BIAS_FIELDS) else 1].text_area(
                label, help=question, placeholder=question, max_chars=MAX_NOTE_CHARACTERS, key=f"w_card_{name}")
        saved = st.form_submit_button("Save to the config", key="save_card_notes")
    if saved:
        values = {name: st.session_state[f"w_card_{name}"] for name in CARD_FIELDS}
        if notes.get(ATTRIBUTE_NOTE):
            values[ATTRIBUTE_NOTE] = notes[ATTRIBUTE_NOTE]
        try:
            result = with_card_notes(result, values)
        except SynthBalanceError as exc:
            st.error(escape_markdown(exc))
        else:
            _state.set_experiment(result)
            notes = result.config.card_notes
            st.success("Saved in the run config; the card below and its downloads include them.")

with st.container(border=True):
    st.subheader("Who the synthetic rows represent")
    st.caption("Each group's share among the real training minority rows and among the synthetic rows, the copies "
               "and distance to the closest training record per group, and the model's figures per group on the "
               "test rows. Numbers are cut at the real minority's quartiles.")
    features = result.prepared.dataset.features
    preferred = notes.get(ATTRIBUTE_NOTE) or result.config.sensitive_attribute
    c1, c2, c3 = st.columns([3, 2, 2])
    attribute = c1.selectbox("Sensitive attribute", features, **_state.setting(
        "representation_attribute", preferred if preferred in features else features[0], features))
    _state.keep("representation_attribute", attribute)
    limit = c2.number_input("Flag a group beyond (share points)", min_value=0.01, max_value=0.9, step=0.01,
                            **_state.setting("representation_limit", REPRESENTATION_LIMIT),
                            help="Default 0.10: a group ten points more or less common among synthetic rows than "
                                 "among real minority rows tells the model a different story about who the "
                                 "minority is.")
    _state.keep("representation_limit", limit)
    if c3.button("Show in the model card", key="use_attribute_in_card",
                 disabled=notes.get(ATTRIBUTE_NOTE) == attribute):
        result = with_card_notes(result, {**notes, ATTRIBUTE_NOTE: attribute})
        _state.set_experiment(result)
        notes = result.config.card_notes
    try:
        groups = run_representation(result, attribute, float(limit))
    except SynthBalanceError as exc:
        st.error(escape_markdown(exc))
    else:
        for group in groups.flagged:
            st.warning(f"Group '{escape_markdown(group.group)}' is {group.flag}: {group.real_share:.1%} of the real "
                       f"minority rows, {group.synthetic_share:.1%} of the synthetic rows.")
        if not groups.flagged:
            st.success(f"No group of '{escape_markdown(attribute)}' moved by more than "
                       f"{groups.limit * 100:.0f} percentage points.")
        st.dataframe(groups.table(), hide_index=True)
        if result.validation is None:
            st.caption("Copies and DCR per group need the validation, which this run skipped.")
        st.caption("Model figures per group (test rows, repeat 1): baseline and augmented.")
        st.dataframe(groups.performance, hide_index=True)

with summary_box:
    now = _flow.current_prepared(show_error=False)
    stale = _state.experiment_staleness(now) if now is not None and result is _state.experiment() else ""
    if stale:  # the card and the Summary below are the stored run's, marked
        st.warning(escape_markdown(stale.replace("The comparison below", "The run on this page")))
    validation_verdict = None if result.validation is None else _flow.judged(result.validation)
    decision = None if validation_verdict is None else validation_verdict.decision
    why = summary.failing_checks(validation_verdict)  # "Rejected" names the failing check and its value
    _summary.draw(result, decision, why)
    s1, s2 = st.columns([1, 3], vertical_alignment="center")
    s1.download_button("Summary card (HTML)", summary.to_html(result, decision, why), "summary.html", "text/html",
                       key="download_summary", icon=":material/download:")
    s2.caption("One self-contained HTML page with these figures and both charts; opens offline in any browser. "
               "A PNG export needs the kaleido package, which is not installed here: open the card and use the "
               "browser's screenshot or print to PDF.")
    st.divider()
card = build_model_card(result, drift=drift)
markdown = to_markdown(card)
c1, c2, c3, c4 = st.columns(4)
c1.download_button("Model card (Markdown)", markdown, "model_card.md", "text/markdown", key="download_md")
# the HTML card (its charts drawn, about 1 s) and the zip (the CSVs and the card again, about 1.4 s) are built when
# their button is clicked, not on every rerun of the page
c2.download_button("Model card (HTML)", lambda: to_html(card, result), "model_card.html", "text/html",
                   key="download_html")
c3.download_button("Run config (JSON)", config_json(result.config), "config.json", "application/json",
                   key="download_config")
c4.download_button("Everything (zip)", lambda: bundle(result, drift), "synthbalance_run.zip", "application/zip",
                   key="download_zip")
st.caption("The zip holds config.json, model_card.md, model_card.html, summary.html, "
           + ("synthetic.csv, augmented_train.csv " if result.synthetic is not None else "")
           + "and results.json" + (", drift.json" if drift is not None else "")
           + ". `python -m core run --config config.json --data FILE --out DIR` replays the run headless.")
with st.container(border=True):  # the deliverable: the kept model, calibrated, with its threshold
    st.subheader("Model bundle")
    record = decision_record(result)
    exported = _state.model_bundle(record.key)
    if exported is None:
        st.caption("The kept model fitted once on the whole training part, its probabilities calibrated out of fold "
                   "and its threshold, with a manifest, reference rows and golden rows: what `python -m core "
                   "predict` and Monitor load.")
        if st.button("Build the model bundle", key="build_model_bundle"):
            try:
                with st.spinner("Fitting the kept model and calibrating it out of fold..."):
                    exported = build_bundle(result.prepared.dataset, result.config, record.to_dict(), {
                        "model_card.md": markdown.encode(), "model_card.html": to_html(card, result).encode(),
                        "summary.html": summary.to_html(result, decision, why).encode()})
            except SynthBalanceError as exc:
                st.error(escape_markdown(exc))
            else:
                _state.set_model_bundle(record.key, exported)
    if exported is not None:
        calibration = exported.manifest["calibration"]
        st.plotly_chart(inert(reliability(calibration)), key="bundle_reliability")
        st.dataframe(bundle_blocks(exported.manifest)[1].content, hide_index=True, key="bundle_calibration")
        for block in bundle_blocks(exported.manifest):
            if block.kind == "text":
                st.caption(escape_markdown(block.content))
        st.download_button("Model bundle (zip)", bundle_zip(exported.files), "model_bundle.zip", "application/zip",
                           key="download_model_bundle", icon=":material/download:")
st.divider()
for section in markdown.split("\n## ")[1:]:
    title, _, body = section.partition("\n")
    st.header(title)
    st.markdown(body)
_flow.next_link("pages/data.py", "Start again: load another table or change the settings")
