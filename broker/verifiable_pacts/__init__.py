"""Pacts for verification: consumer version selectors, pending and work-in-progress pacts."""
