"""The one palette for validation decisions (approved / refine / rejected): every page that colours a decision
takes its colours and labels from here, so green always means approved and red always means rejected."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from core.validation.verdict import APPROVED, INCOMPLETE, REFINE, REJECTED

DECISION_LABELS = {APPROVED: "Approved", INCOMPLETE: "Not fully measured", REFINE: "Requires refinement",
                   REJECTED: "Rejected"}
DECISION_COLOURS = {APPROVED: "#2e7d4f", INCOMPLETE: "#5b7083", REFINE: "#d08a1e", REJECTED: "#c0392b"}


def decision_box(decision: str) -> Callable:
    """The Streamlit message box whose colour matches the decision (success, info, warning, error)."""
    return {APPROVED: st.success, INCOMPLETE: st.info, REFINE: st.warning, REJECTED: st.error}[decision]
