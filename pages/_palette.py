"""The one palette for validation decisions (approved / refine / rejected): every page that colours a decision
takes its colours and labels from here (defined once in core.validation.verdict, which the Summary card reads
too), so green always means approved and red always means rejected."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from core.validation.verdict import APPROVED, INCOMPLETE, REFINE, REJECTED
from core.validation.verdict import VALIDATION_COLOURS as DECISION_COLOURS
from core.validation.verdict import VALIDATION_LABELS as DECISION_LABELS

__all__ = ["DECISION_COLOURS", "DECISION_LABELS", "decision_box"]  # the labels and colours: one copy, in core


def decision_box(decision: str) -> Callable:
    """The Streamlit message box whose colour matches the decision (success, info, warning, error)."""
    return {APPROVED: st.success, INCOMPLETE: st.info, REFINE: st.warning, REJECTED: st.error}[decision]
