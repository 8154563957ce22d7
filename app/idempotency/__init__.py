"""Idempotency-Key on POST: a retried create answers what the first attempt answered instead of creating twice."""
