"""Method: the advisor's ranking with reasons, the Method Evaluation Matrix, and notes on each method."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.generators.registry import METHOD_LABELS, REGISTRY
from core.text import escape_markdown
from pages import _flow, _state

st.title("Method")
prepared = _flow.need(_flow.current_prepared(), "Prepare the data first.", "pages/analysis.py",
                      "Go to Imbalance analysis")
profile = prepared.profile
train_minority = prepared.train_class_counts.get(profile.minority_class, 0)
advice = _flow.current_advice(prepared)

best = advice.best
st.success(f"Recommended: **{best.label}** ({best.family}) - {escape_markdown('; '.join(best.reasons))}.")
ranking = pd.DataFrame([{"rank": i + 1, "method": r.label, "family": r.family, "usable": "yes" if r.usable else "no",
                         "score": r.score, "why": "; ".join(r.reasons)} for i, r in enumerate(advice.ranked)])
st.subheader("Ranking for this dataset")
st.caption(f"From the profile: {train_minority:,} training rows of '{escape_markdown(profile.minority_class)}', "
           f"{profile.n_features} features ({', '.join(f'{n} {k}' for k, n in profile.feature_kinds.items())}).")
st.dataframe(ranking, hide_index=True, width="stretch", key="ranking")
st.subheader("Method evaluation matrix")
st.dataframe(advice.matrix, hide_index=True, width="stretch", key="matrix")

usable = [r.method for r in advice.ranked if r.usable]
current = _state.chosen_method() if _state.chosen_method() in usable else usable[0]
choice = st.selectbox("Method to use", usable, index=usable.index(current),
                      format_func=METHOD_LABELS.get, key="w_method_choice")
if choice != _state.chosen_method():
    _state.keep("gen_method", choice)  # the Generation page opens on the method chosen here
    st.session_state.pop("w_gen_method", None)
_state.set_chosen_method(choice)

st.subheader("About the methods")
for r in advice.ranked:
    info = REGISTRY[r.method]
    with st.expander(f"{info.label} - {info.family}, {info.library}"):
        st.write(info.summary)
        st.write(f"**Strengths:** {info.pros}")
        st.write(f"**Limits:** {info.limits}")
        st.caption(f"Cost: {info.cost}; tuning effort: {info.tuning}; "
                   f"minimum minority rows: {info.min_minority_rows}.")
st.page_link("pages/generation.py", label="Next: generate", icon=":material/arrow_forward:")
