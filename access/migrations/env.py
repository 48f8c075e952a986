"""Alembic's entry point: migrations run on the connection ``access.migrating`` hands over, inside its transaction
(and so inside the gate's write lock)."""

from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
