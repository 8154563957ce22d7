"""Projects slice."""
