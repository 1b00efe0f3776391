"""SynthBalance core: every computation of the app, importable without Streamlit.

Data flows one way: data -> imbalance/cleaning -> split -> generators -> validation -> evaluation -> report.
"""
__version__ = "0.1.0"
