"""Integrations: the consumer/provider pairs that have pacts."""
