"""Report: the model card of the last comparison run, its downloads, and replaying a saved config."""
from __future__ import annotations

import streamlit as st

from core.config import config_json, read_config
from core.data import sha256_of
from core.errors import SynthBalanceError
from core.pipeline import run_experiment
from core.report import build_model_card, bundle, to_html, to_markdown
from core.text import escape_markdown
from pages import _flow, _state

st.title("Report")
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
                if table is None or config.data_sha256 != table.sha256:
                    raise SynthBalanceError(f"This config was made from '{config.data}' (SHA-256 "
                                            f"{config.data_sha256[:12]}...), not from the loaded table. Load that "
                                            "file on the Data page first.")
                _state.set_target(config.target)
                _state.set_type_overrides(dict(config.column_types))
                dataset = _flow.current_dataset()
                if dataset is None:
                    st.stop()
                with st.spinner(f"Replaying {escape_markdown(config.method)} with {config.repeats} repeat(s)..."):
                    result = run_experiment(dataset, config)
            except SynthBalanceError as exc:
                st.error(escape_markdown(exc))
            else:
                _state.set_experiment(result)
                _state.set_replayed(digest)
                st.success(escape_markdown(f"Replayed {config.method} on {config.data} with seed {config.seed}."))

result = _state.experiment()
if result is None:
    _flow.need(None, "Run the comparison first (or replay a config above).", "pages/comparison.py",
               "Go to Comparison")
card = build_model_card(result)
markdown = to_markdown(card)
c1, c2, c3, c4 = st.columns(4)
c1.download_button("Model card (Markdown)", markdown, "model_card.md", "text/markdown", key="download_md")
c2.download_button("Model card (HTML)", to_html(card, result), "model_card.html", "text/html", key="download_html")
c3.download_button("Run config (JSON)", config_json(result.config), "config.json", "application/json",
                   key="download_config")
c4.download_button("Everything (zip)", bundle(result), "synthbalance_run.zip", "application/zip", key="download_zip")
st.caption("The zip holds config.json, model_card.md, model_card.html, synthetic.csv, augmented_train.csv and "
           "results.json. `python -m core run --config config.json --data FILE --out DIR` replays the run headless.")
st.divider()
for section in markdown.split("\n## ")[1:]:
    title, _, body = section.partition("\n")
    st.header(title)
    st.markdown(body)
