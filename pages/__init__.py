"""Streamlit pages: thin scripts that read inputs, call core, and draw."""
