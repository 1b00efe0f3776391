"""Duplicates & privacy: copies of training rows, distance to closest record, the holdout comparison, NNDR,
the closest pairs for inspection, and the verdict under thresholds the analyst can change."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from core.text import escape_markdown
from core.validation.validate import without_copies
from core.validation.verdict import NAMES, Thresholds
from pages import _dial, _flow, _state


def _share(value: float | None) -> str:
    return "not measured" if value is None or value != value else f"{value:.2f}"


st.title("Duplicates & privacy")
prepared, synthetic, result = _flow.validated()
privacy = result.privacy
_flow.verdict_banner(result)
c = st.columns(5)
c[0].metric("Exact copies", f"{privacy.exact_copies:,}", f"{privacy.exact_share:.1%} of synthetic rows",
            delta_color="off", delta_arrow="off")
c[1].metric("Near copies", f"{privacy.near_copies:,}", f"{privacy.near_share:.1%}", delta_color="off",
            delta_arrow="off", help=f"Closer to a training row than {privacy.near_threshold:.3f}, the 5th percentile "
                                    "of real minority rows' distances to their closest other minority row")
c[2].metric("DCR share vs holdout", _share(privacy.dcr_share_vs_holdout),
            help="Share of synthetic rows closer to training minority rows than to as many held-out rows of the "
                 "same classes: 0.5 is ideal, near 1 means memorization")
c[3].metric("Median NNDR", f"{privacy.nndr_median:.2f}", help="Closest / second-closest training distance; "
                                                                  "near 0 singles out one record")
c[4].metric("Identifiability", _share(privacy.identifiability),
            help="Share of real minority rows whose closest synthetic row is closer than their closest other real "
                 "minority row (synthcity's definition, unit weights)")
st.caption(f"Holdout: {privacy.n_holdout:,} test rows of the synthesised classes, cleaned with the training part's "
           "plan, read only (distances only; nothing is fitted on them). "
           "Distances are Euclidean in the standardised one-hot space fitted on the training rows.")
for reading in result.readings:  # what each easily misread figure means for this run, from core
    if reading.figure != "detection_auc":
        (st.warning if reading.too_few_rows else st.caption)(escape_markdown(reading.sentence))

left, right = st.columns(2)
distances = pd.concat([pd.DataFrame({"distance": privacy.dcr, "rows": "synthetic to training"}),
                       pd.DataFrame({"distance": privacy.holdout_dcr, "rows": "holdout to training"})])
left.plotly_chart(px.histogram(distances, x="distance", color="rows", barmode="overlay", histnorm="percent",
                               opacity=0.6, nbins=50, title="Distance to closest training row (DCR)"),
                  width="stretch", key="chart_dcr")
right.plotly_chart(px.histogram(pd.DataFrame({"NNDR": privacy.nndr}), x="NNDR", nbins=40,
                                title="Nearest-neighbour distance ratio"), width="stretch", key="chart_nndr")

st.subheader("Closest pairs")
st.caption("The synthetic rows nearest to a training row, each shown above the training row it is closest to.")
pairs = []
for row in privacy.closest_pairs.itertuples():
    pairs.append(synthetic.rows.iloc[[row.synthetic_row]].assign(source="synthetic", dcr=row.dcr))
    pairs.append(prepared.train.iloc[[row.train_row]].assign(source="training", dcr=row.dcr))
closest = pd.concat(pairs, ignore_index=True)
st.dataframe(closest[["source", "dcr", *[c for c in closest.columns if c not in ("source", "dcr")]]],
             hide_index=True, width="stretch", key="closest_pairs")
copies = int(privacy.copy_mask.sum())
if copies and synthetic.privacy is not None:  # the copies are found with the real rows, outside DP-SGD
    st.caption("Dropping copies reads the real rows, so the released rows would no longer carry the "
               "differential-privacy guarantee (the card and Summary will say so).")
if copies and st.button(f"Drop the {copies:,} exact and near copies from the synthetic rows", key="drop_copies"):
    _state.replace_synthetic(without_copies(synthetic, result, prepared.dataset.target), copies_dropped=True)
    st.rerun()

st.subheader("Verdict thresholds")
current = _state.thresholds()
with st.form("thresholds_form"):
    st.caption("Each check has a 'refine' limit and a stricter 'reject' limit. Defaults and their reasons are in "
               "core/validation/verdict.py.")
    edited = {}
    for name, label in NAMES.items():
        refine, reject = getattr(current, name)
        a, b = st.columns(2)
        edited[name] = (a.number_input(f"{label}: refine at", value=float(refine), step=0.05, format="%.2f",
                                       key=f"w_th_{name}_refine"),
                        b.number_input(f"{label}: reject at", value=float(reject), step=0.05, format="%.2f",
                                       key=f"w_th_{name}_reject"))
    if st.form_submit_button("Apply thresholds"):
        _state.set_thresholds(Thresholds(**edited))
        st.rerun()
checks = pd.DataFrame([{"check": NAMES[c.name], "value": c.value, "refine at": c.refine_at, "reject at": c.reject_at,
                        "outcome": c.outcome.text} for c in _flow.judged(result).checks])
st.dataframe(checks, hide_index=True, width="stretch", key="checks")
_dial.draw_dial(prepared, synthetic)  # the privacy-utility dial: its own block, drawn by pages/_dial.py
_flow.next_link("pages/comparison.py", "Next: compare a classifier with and without the synthetic rows")
