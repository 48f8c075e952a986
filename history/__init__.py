"""Each holder's private history of finished videos (see store.py).

The standard library and ``database/`` (SQLAlchemy): importing it never pulls in
torch, gradio or numpy, so the operator CLI (``python -m access``) can read it.
"""

from .store import (
    DB_FILENAME,
    FILES_DIR_ENV,
    HISTORY_FULL_MESSAGE,
    KINDS,
    MAX_BYTES_ENV,
    MAX_ITEMS_ENV,
    HistoryFull,
    HistoryItem,
    HistoryStore,
    InvalidPage,
    Recovery,
    holder_dirname,
)

__all__ = [
    "DB_FILENAME", "FILES_DIR_ENV", "HISTORY_FULL_MESSAGE", "KINDS", "MAX_BYTES_ENV", "MAX_ITEMS_ENV", "HistoryFull",
    "HistoryItem", "HistoryStore", "InvalidPage", "Recovery", "holder_dirname",
]
