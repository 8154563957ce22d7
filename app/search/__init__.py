"""French full-text search, written once for both engines (docs/search.md)."""
