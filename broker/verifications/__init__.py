"""Verification results: a provider version's verdict on a pact content."""
