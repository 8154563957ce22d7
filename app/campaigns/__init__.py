"""Campaigns slice."""
