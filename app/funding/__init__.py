"""Funding slice."""
