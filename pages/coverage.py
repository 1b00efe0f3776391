"""Coverage: where synthetic rows fall relative to the real classes (PCA, UMAP) and how much of the minority
region they cover."""
from __future__ import annotations

import sys

import numpy as np
import plotly.express as px
import streamlit as st

from core.estimates import umap_seconds
from core.plots import inert
from core.summary import GROUP_COLOURS
from core.validation.embedding import load_umap
from core.validation.validate import with_umap
from pages import _flow, _longjob, _state

GROUP_SYMBOLS = {"real majority": "circle", "synthetic": "circle", "real minority": "diamond"}
DRAW_ORDER = ("real majority", "synthetic", "real minority")  # later groups are drawn on top

st.title("Coverage")
prepared, synthetic, result = _flow.validated()
coverage = result.coverage
c = st.columns(6)
c[0].metric("Precision", f"{coverage.precision:.2f}", help="Share of synthetic rows inside the real minority's region")
c[1].metric("Recall", f"{coverage.recall:.2f}", help="Share of real minority rows reached by synthetic rows")
c[2].metric("Density", f"{coverage.density:.2f}", help="About 1 when synthetic rows are as dense as real ones")
c[3].metric("Coverage", f"{coverage.coverage:.2f}", help="Share of real minority rows with a synthetic row nearby")
c[4].metric("Novelty", f"{coverage.novelty:.2f}", help="Share of synthetic rows farther from every real row than "
            "the typical real-to-real gap")
c[5].metric("Diversity", f"{coverage.diversity:.2f}", help="Synthetic spread / real minority spread (1 = same)")
st.caption(f"Naeem et al. 2020 with k = {coverage.k}, in the standardised one-hot space fitted on training rows.")

groups = st.multiselect("Show", list(GROUP_COLOURS), default=list(GROUP_COLOURS), key="w_coverage_groups")
projections = [result.pca]
if result.umap is not None:
    projections.append(result.umap)
else:
    _longjob.stopped_notice("umap")
    compiled = "umap" in sys.modules  # numba compiles UMAP's functions once per server process
    _longjob.estimate_note(umap_seconds(len(prepared.train) + len(synthetic.rows), compiled), "UMAP")
    if st.button("Compute UMAP", key="umap", help="Measured on this 2-core machine: the first UMAP run after the app "
                 "starts took 77 s (numba compiles UMAP's functions once per server process); later runs took "
                 "4-10 s on up to 20,000 rows."):
        dataset = prepared.dataset
        with _longjob.running("umap", "UMAP", umap_seconds(len(prepared.train) + len(synthetic.rows), compiled),
                              "Coverage") as job:
            if not compiled:  # the import compiles (about a third of a first run): a step of its own
                job.alive(lambda progress: load_umap(), 0.05,
                          "Loading UMAP and compiling its code (once per server process)")
            seed = _state.seed()
            projected = job.alive(lambda progress: with_umap(result, prepared.train, synthetic.rows, dataset.target,
                                                             dataset.features, dataset.column_types, seed),
                                  0.05 if compiled else 0.35, "Fitting UMAP on at most 20,000 training rows")
        if job.finished:
            _state.set_validation(projected)
            st.rerun()
columns = st.columns(len(projections))
for box, projection in zip(columns, projections):
    points = projection.points.loc[projection.points["group"].isin(groups)]
    title = projection.method + (f" ({np.sum(projection.explained):.0%} of variance)" if projection.explained else "")
    # the real minority last (on top) with its own marker: a few dozen real rows never vanish under the synthetic
    figure = px.scatter(points, x="x", y="y", color="group", symbol="group", color_discrete_map=GROUP_COLOURS,
                        symbol_map=GROUP_SYMBOLS, opacity=0.6, title=title,
                        category_orders={"group": [g for g in DRAW_ORDER if g in groups]})
    figure.for_each_trace(lambda t: t.update(opacity=1.0, marker={"size": 9, "line": {"width": 1, "color": "white"}})
                          if t.name == "real minority" else None)
    box.plotly_chart(inert(figure), width="stretch", key=f"scatter_{projection.method}")
st.caption("Fitted on real training rows; synthetic rows are placed with the same fitted transform. "
           "Up to 3,000 points per group are drawn.")
_flow.next_link("pages/privacy.py", "Next: duplicates and privacy")
