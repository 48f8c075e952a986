"""The SQL database Reel keeps its records in: an SQLite file on a laptop, PostgreSQL (``REEL_DATABASE_URL``) on a
Space that must not forget. The gate (``access/``) and the histories (``history/``) each keep their tables here,
each with its own Alembic migrations. No Gradio, no torch.
"""

from .engine import Database, DatabaseError, database_problem, engine_url, is_database_url

__all__ = ["Database", "DatabaseError", "database_problem", "engine_url", "is_database_url"]
