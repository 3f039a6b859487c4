"""Webhooks: signed deliveries of domain events to requesters' endpoints (Standard Webhooks)."""
