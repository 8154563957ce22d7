"""Organizations slice."""
