"""Domain-agnostic building blocks: settings, database, errors, pagination, text helpers."""
