"""Synthetic minority rows: one registry, one contract, one module per family."""
