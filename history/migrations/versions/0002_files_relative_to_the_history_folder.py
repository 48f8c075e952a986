"""A file is named relative to the history folder, not the data dir, so the folder can live elsewhere
(REEL_HISTORY_DIR, a mounted Storage Bucket): "history/<holder>/<id>.mp4" becomes "<holder>/<id>.mp4"."""

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("UPDATE items SET file = substr(file, 9) WHERE file LIKE 'history/%'")
