"""Tokens: a label and the hash of its secret (never the secret), when it was made and revoked."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.Text, nullable=False, unique=True),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", sa.Text, nullable=False),  # UTC ISO-8601, as every time in this schema
        sa.Column("revoked_at", sa.Text),
        sa.CheckConstraint("length(label) BETWEEN 1 AND 64", name="label_length"),
    )
