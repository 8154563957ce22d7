"""Lists: the query string, filters, keyset pages, the fast path and whole-list exports (see docs/architecture.md)."""
