"""The change feed: every create, update and delete, in commit order, read from the audit trail."""
