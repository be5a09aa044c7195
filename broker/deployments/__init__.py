"""Deployments and releases: which versions are in which environment now."""
