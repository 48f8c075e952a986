"""Per-token limits and expiry (NULL means none), retired hashes, quota reservations and the audit log."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # Plain ADD COLUMN with its CHECK: both databases take this DDL as written, and SQLite needs no table copy.
    op.execute("ALTER TABLE tokens ADD COLUMN expires_at TEXT")
    op.execute("ALTER TABLE tokens ADD COLUMN daily_limit INTEGER CHECK (daily_limit IS NULL OR daily_limit >= 1)")
    op.execute("ALTER TABLE tokens ADD COLUMN daily_seconds DOUBLE PRECISION"
               " CHECK (daily_seconds IS NULL OR daily_seconds > 0)")
    # Hashes of revoked tokens whose row was replaced by a re-issue, so an old export can never bring them back.
    op.create_table(
        "retired_hashes",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("retired_at", sa.Text, nullable=False),
    )
    # One row per clip: pending while it renders, committed once made. Keyed by quota key (token label or
    # hf:<user>), so re-issuing a label does not reset its day.
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("quota_key", sa.Text, nullable=False),
        sa.Column("day", sa.Text, nullable=False),
        sa.Column("seconds", sa.Double, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("committed_at", sa.Text),
        sa.CheckConstraint("seconds >= 0", name="seconds_not_negative"),
        sa.CheckConstraint("state IN ('pending', 'committed')", name="known_state"),
    )
    op.create_index("reservations_by_key_day", "reservations", ["quota_key", "day"])
    op.create_index("reservations_by_state", "reservations", ["state"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("client", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("seconds", sa.Double),
        sa.Column("prompt_sha256", sa.Text),
        sa.Column("prompt", sa.Text),
    )
    op.create_index("audit_by_time", "audit", ["at"])
