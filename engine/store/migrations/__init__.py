"""Alembic migrations of the OrderLoom database (run with ``engine.store.migrate.upgrade``)."""
