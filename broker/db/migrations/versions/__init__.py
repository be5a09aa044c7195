"""Numbered revisions; the schema only ever changes by adding one."""
