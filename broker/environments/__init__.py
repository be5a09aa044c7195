"""Environments: where versions get deployed or released."""
