"""One search across the registry: labs, projects, events and organizations ranked together (docs/search.md)."""
