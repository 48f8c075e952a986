"""Clients locked out after too many failed attempts, until when: a restart keeps them locked."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "locked_clients",
        sa.Column("client", sa.Text, primary_key=True),
        sa.Column("locked_until", sa.Text, nullable=False),  # UTC ISO-8601
    )
