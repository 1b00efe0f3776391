"""Is the synthetic minority faithful, covering, new, and safe? Metrics, projections and the verdict."""
