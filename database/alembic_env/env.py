"""Alembic's entry point for every store: migrations run on the connection ``database.migrating`` hands over,
inside its transaction (and so inside the write lock), recorded in that store's own version table."""

from alembic import context

context.configure(
    connection=context.config.attributes["connection"],
    version_table=context.config.attributes["version_table"],
)
with context.begin_transaction():
    context.run_migrations()
