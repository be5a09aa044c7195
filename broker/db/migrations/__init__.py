"""Alembic migrations, shipped as package data and run by `broker.db.migrate.upgrade` at start."""
