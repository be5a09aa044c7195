"""Pacts: content (pact versions), publications per consumer version, and the URL metadata."""
