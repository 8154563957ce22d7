"""Webhooks: subscriptions, signed deliveries (Standard Webhooks) and the dispatcher that sends them."""
