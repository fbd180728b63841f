"""The database's schema as the command line reports it: the revision a database is at, the newest
this code knows, and what keeps a database from being used as it is (part of ``engine.api``)."""

from engine.store.migrate import current_revision, head_revision, schema_problem

__all__ = ["current_revision", "head_revision", "schema_problem"]
