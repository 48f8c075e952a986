"""Kept videos: one row per item, listed only once its file is whole."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    # seq orders items (created_at has whole seconds, so it ties); id is what visitors see.
    op.create_table(
        "items",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("id", sa.Text, nullable=False, unique=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("model", sa.Text),
        sa.Column("prompt", sa.Text),
        sa.Column("seed", sa.BigInteger),
        sa.Column("seconds", sa.Double, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("file", sa.Text, nullable=False, unique=True),
        sa.CheckConstraint("length(id) = 32", name="id_length"),
        sa.CheckConstraint("length(holder) >= 1", name="holder_given"),
        sa.CheckConstraint("kind IN ('clip', 'storyboard', 'extended')", name="known_kind"),
        sa.CheckConstraint("seconds >= 0", name="seconds_not_negative"),
        sa.CheckConstraint("bytes >= 0", name="bytes_not_negative"),
    )
    op.create_index("items_by_holder", "items", ["holder", "seq"])
