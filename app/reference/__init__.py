"""Read-only reference data: regions, themes, event formats."""
