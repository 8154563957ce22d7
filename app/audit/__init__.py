"""The audit trail, read back: who changed what, when, and the state before a delete."""
