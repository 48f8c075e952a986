"""A reservation names the server that made it, so a restarted server refunds its own crash leftovers at once
while another server's clips in flight on the same database are left alone."""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("ALTER TABLE reservations ADD COLUMN server TEXT")
