"""Each holder's private history of finished videos: an index in the database plus one MP4 per item.

The index is the ``items`` table in PostgreSQL when REEL_DATABASE_URL is set (beside the gate's tables), else
``<data dir>/history.sqlite3``; ``database/`` opens either. Files are ``<history folder>/<holder dir>/<id>.mp4``:
the folder is REEL_HISTORY_DIR (on a Space, a mounted Storage Bucket, so histories survive restarts) or
``<data dir>/history``, and the holder dir is a hash of the holder key (a token label or ``hf:<user>``), so a key
never becomes a path. A file is written once, completely (temporary file in the same folder, fsync, rename), before
its row is inserted, and never rewritten, so an item is listed only once it is whole and object storage never sees
a file change; a crash in between leaves a stray file for ``recover`` to remove. Rows are deleted before their
files for the same reason. A row whose file has gone (a bucket that lost it, a data dir wiped without a
REEL_HISTORY_DIR) stays listed, marked missing: its manifest still makes the video again.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Callable, Mapping

from sqlalchemy import text
from sqlalchemy.engine import Connection

from database import Database
from settings import default_of, read_settings

DB_FILENAME = "history.sqlite3"
FILES_DIRNAME = "history"
MAX_ITEMS_ENV = "REEL_HISTORY_MAX"
MAX_BYTES_ENV = "REEL_HISTORY_MAX_BYTES"
FILES_DIR_ENV = "REEL_HISTORY_DIR"
DATABASE_URL_ENV = "REEL_DATABASE_URL"
DEFAULT_MAX_ITEMS = default_of(MAX_ITEMS_ENV)  # 200
DEFAULT_MAX_BYTES = default_of(MAX_BYTES_ENV)  # 20 GB
MAX_PAGE = 100
KINDS = ("clip", "storyboard", "extended")
MAX_HOLDER_LENGTH = 200
HISTORY_FULL_MESSAGE = (
    "Your video was made but not kept in your history: the Space's history storage is full."
)
INVALID_PAGE_MESSAGE = (
    "That page of your history is no longer available; start again from your newest videos."
)

_ID = re.compile(r"[0-9a-f]{32}", re.ASCII)
_SUFFIX = ".mp4"
_TEMP_PREFIX = ".incoming-"
_TEMP_SUFFIX = ".tmp"
_COLUMNS = "id, holder, created_at, kind, model, prompt, seed, seconds, bytes, manifest, file"
_ALL_ROWS = 2**62  # LIMIT for "no limit" with an OFFSET: both databases take a number, neither takes SQLite's -1
# With an index other servers share, a row-less file may be another server's add in flight: only one older than
# any copy takes is a leftover.
SHARED_LEFTOVER_SECONDS = 3600


class HistoryDatabase(Database):
    """The history's table, in its own Alembic version table so it can share a PostgreSQL database with the gate."""

    migrations_dir = Path(__file__).with_name("migrations")
    version_table = "history_version"

SCHEMA_VERSION = HistoryDatabase.code_schema_version()


class HistoryFull(Exception):
    """The store is at its byte cap; the video was not kept (the caller still delivers it)."""

    def __init__(self, message: str = HISTORY_FULL_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


class InvalidPage(ValueError):
    """``before`` names no item of this holder (unknown and another holder's ids look the same)."""

    def __init__(self, message: str = INVALID_PAGE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class HistoryItem:
    """One kept video. ``path`` is absolute; ``manifest`` is the manifest as it was added."""

    id: str
    holder: str
    created_at: str  # UTC ISO-8601, whole seconds
    kind: str
    model: str | None
    prompt: str | None
    seed: int | None
    seconds: float
    bytes: int
    manifest: dict
    path: Path
    missing: bool = False  # its file is gone (a bucket lost it, a wiped disk): listed, but nothing to download


@dataclasses.dataclass(frozen=True)
class Recovery:
    """What ``recover`` found: leftovers of interrupted writes (removed) and rows whose file is gone (kept, shown
    as missing)."""

    temp_files: int
    stray_files: int
    missing_files: int


def holder_dirname(holder: str) -> str:
    """The folder name of a holder's files: a hash, so no holder key is ever used as a path."""
    return hashlib.sha256(b"reel-history\0" + holder.encode("utf-8")).hexdigest()[:32]


def _check_holder(holder: object) -> str:
    if not isinstance(holder, str) or not 1 <= len(holder) <= MAX_HOLDER_LENGTH:
        raise ValueError(f"a history holder is a text key of 1 to {MAX_HOLDER_LENGTH} characters")
    return holder


def _is_id(item_id: object) -> bool:
    return isinstance(item_id, str) and _ID.fullmatch(item_id) is not None


def _seconds(manifest: dict) -> float:
    """Length of the video: num_frames / fps (clip and storyboard manifests both have them at the top)."""
    frames, fps = manifest.get("num_frames"), manifest.get("fps")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 0:
        raise ValueError("the manifest needs num_frames, a whole number of frames")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0 or fps == float("inf"):
        raise ValueError("the manifest needs fps, a number of frames per second above zero")
    return frames / fps


def _prompt(manifest: dict) -> str | None:
    """A clip's prompt; a storyboard's shot prompts joined, since its manifest has none at the top."""
    prompt = manifest.get("prompt")
    if isinstance(prompt, str):
        return prompt
    shots = manifest.get("shots")
    if isinstance(shots, list):
        prompts = [shot["prompt"] for shot in shots if isinstance(shot, dict) and isinstance(shot.get("prompt"), str)]
        return " | ".join(prompts) or None
    return None


def _model(manifest: dict) -> str | None:
    model = manifest.get("model")
    return model if isinstance(model, str) else None


def _seed(manifest: dict) -> int | None:
    seed = manifest.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or not -(2**63) <= seed < 2**63:
        return None
    return seed


def _utc_now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class HistoryStore:
    """Add, list, fetch and delete a holder's kept videos; never another holder's.

    Holders are token labels or ``hf:<user>`` keys, never tokens.  ``clock``
    (returning UTC ISO text) is injectable for tests.
    """

    def __init__(
        self,
        data_dir: Path,
        max_items_per_holder: int = DEFAULT_MAX_ITEMS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], str] | None = None,
        *,
        files_dir: Path | None = None,
        database: Path | str | None = None,
    ) -> None:
        """``files_dir``: the history folder (default ``<data dir>/history``); ``database``: an SQLite path or a
        PostgreSQL URL for the index (default ``<data dir>/history.sqlite3``)."""
        for name, value in (("max_items_per_holder", max_items_per_holder), ("max_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number, 1 or more")
        self.data_dir = Path(data_dir).absolute()
        self.files_dir = Path(files_dir).absolute() if files_dir is not None else self.data_dir / FILES_DIRNAME
        self._db = HistoryDatabase(database if database is not None else self.data_dir / DB_FILENAME)
        self.db_path = self._db.db_path  # the SQLite file; None when the index is on a database server
        self.max_items_per_holder = max_items_per_holder
        self.max_bytes = max_bytes
        self._clock = clock or _utc_now_iso
        self._in_flight: set[Path] = set()  # files being written by add(): recover() leaves them alone
        self._in_flight_lock = threading.Lock()

    @classmethod
    def from_env(cls, data_dir: Path, environ: Mapping[str, str] | None = None) -> HistoryStore:
        """The app's store: limits from REEL_HISTORY_MAX and REEL_HISTORY_MAX_BYTES, the folder from
        REEL_HISTORY_DIR and the index in REEL_DATABASE_URL's database, when set (SettingError, a ValueError naming
        the setting, for a bad value)."""
        settings = read_settings(environ, (MAX_ITEMS_ENV, MAX_BYTES_ENV, FILES_DIR_ENV, DATABASE_URL_ENV))
        return cls(data_dir, max_items_per_holder=settings[MAX_ITEMS_ENV], max_bytes=settings[MAX_BYTES_ENV],
                   files_dir=settings[FILES_DIR_ENV], database=settings[DATABASE_URL_ENV])

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.files_dir)!r}, index={self._db.where!r})"

    @property
    def is_shared(self) -> bool:
        """The index is on a database server, which other Reel servers may share (with the history folder)."""
        return self._db.is_server

    # -- public API -----------------------------------------------------

    def add(self, holder: str, source: Path, manifest: dict, kind: str) -> HistoryItem:
        """Keep a copy of ``source`` in ``holder``'s history, then drop their oldest items beyond the limit.

        Raises HistoryFull (keeping nothing) when the copy would take the store
        over ``max_bytes``.  The caller's file is left as it is.
        """
        _check_holder(holder)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if not isinstance(manifest, dict):
            raise ValueError("the manifest must be a dict")
        seconds = _seconds(manifest)
        manifest_json = json.dumps(manifest, ensure_ascii=False, allow_nan=False)
        size = Path(source).stat().st_size
        with self._db._read() as conn:
            if self._over_cap(conn, holder, size):  # before copying gigabytes for nothing
                raise HistoryFull()
        item_id = secrets.token_hex(16)
        relative = f"{holder_dirname(holder)}/{item_id}{_SUFFIX}"
        target = self.files_dir / relative
        temporary = target.with_name(f"{_TEMP_PREFIX}{item_id}{_TEMP_SUFFIX}")
        with self._in_flight_lock:  # registered before either file exists, so recover() never races us
            self._in_flight.update((target, temporary))
        try:
            size = self._copy_into_place(Path(source), temporary, target)
            created_at, dropped = self._insert(
                holder, item_id, kind, manifest, manifest_json, seconds, size, relative
            )
        except BaseException:
            _remove(target)
            raise
        finally:
            with self._in_flight_lock:
                self._in_flight.difference_update((target, temporary))
        for path in dropped:
            _remove(path)  # their rows are gone already; a crash here leaves strays for recover()
        return HistoryItem(
            id=item_id, holder=holder, created_at=created_at, kind=kind, model=_model(manifest),
            prompt=_prompt(manifest), seed=_seed(manifest), seconds=seconds, bytes=size,
            manifest=json.loads(manifest_json), path=target,
        )

    def list(self, holder: str, limit: int = 20, before: str | None = None) -> list[HistoryItem]:
        """``holder``'s items, newest first; ``before`` (an item id) pages to older ones."""
        _check_holder(holder)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be a whole number from 1 to {MAX_PAGE}")
        with self._db._read() as conn:
            if before is None:
                rows = conn.execute(
                    text(f"SELECT {_COLUMNS} FROM items WHERE holder = :holder ORDER BY seq DESC LIMIT :limit"),
                    {"holder": holder, "limit": limit},
                ).fetchall()
            else:
                start = conn.execute(
                    text("SELECT seq FROM items WHERE id = :id AND holder = :holder"), {"id": before, "holder": holder}
                ).fetchone() if _is_id(before) else None
                if start is None:
                    raise InvalidPage()
                rows = conn.execute(
                    text(f"SELECT {_COLUMNS} FROM items WHERE holder = :holder AND seq < :seq"
                         " ORDER BY seq DESC LIMIT :limit"),
                    {"holder": holder, "seq": start[0], "limit": limit},
                ).fetchall()
        return [self._item(row) for row in rows]

    def items_of(self, holder: str) -> list[HistoryItem]:
        """Every item of ``holder``, newest first (for the operator CLI)."""
        _check_holder(holder)
        with self._db._read() as conn:
            rows = conn.execute(
                text(f"SELECT {_COLUMNS} FROM items WHERE holder = :holder ORDER BY seq DESC"), {"holder": holder}
            ).fetchall()
        return [self._item(row) for row in rows]

    def get(self, holder: str, item_id: str) -> HistoryItem | None:
        """The item, or None when it is unknown or another holder's (the two look the same)."""
        _check_holder(holder)
        if not _is_id(item_id):
            return None
        with self._db._read() as conn:
            row = conn.execute(
                text(f"SELECT {_COLUMNS} FROM items WHERE id = :id AND holder = :holder"),
                {"id": item_id, "holder": holder},
            ).fetchone()
        return None if row is None else self._item(row)

    def path(self, holder: str, item_id: str) -> Path | None:
        """The item's file, or None as for ``get`` (and when its file is missing)."""
        item = self.get(holder, item_id)
        return None if item is None or item.missing else item.path

    def delete(self, holder: str, item_id: str) -> bool:
        """Remove the item's row, then its file; False when unknown or another holder's."""
        _check_holder(holder)
        if not _is_id(item_id):
            return False
        with self._db._write() as conn:
            row = conn.execute(
                text("SELECT file FROM items WHERE id = :id AND holder = :holder"), {"id": item_id, "holder": holder}
            ).fetchone()
            if row is None:
                return False
            conn.execute(text("DELETE FROM items WHERE id = :id"), {"id": item_id})
        _remove(self.files_dir / row[0])
        return True

    def recover(self) -> Recovery:
        """Run at start: remove temporary and row-less files, and count the rows whose file is gone (they stay,
        shown as missing). With a shared index, only leftovers older than SHARED_LEFTOVER_SECONDS go: a younger
        one may be another server's add in flight."""
        # Files are listed first, then the in-flight set is read, then the rows: a file that is no longer
        # in flight by then has its row committed (or was removed by its failed add).
        temps, finals = [], []
        if self.files_dir.is_dir():
            for folder in self.files_dir.iterdir():
                if not folder.is_dir():
                    continue
                for path in folder.iterdir():
                    if path.name.startswith(_TEMP_PREFIX) and path.name.endswith(_TEMP_SUFFIX):
                        temps.append(path)
                    elif path.suffix == _SUFFIX and _is_id(path.stem):
                        finals.append(path)
        with self._in_flight_lock:
            in_flight = set(self._in_flight)
        with self._db._read() as conn:
            rows = conn.execute(text("SELECT id, file FROM items")).fetchall()
        known = {self.files_dir / file for _, file in rows}
        young = time.time() - SHARED_LEFTOVER_SECONDS if self.is_shared else None

        def leftover(path: Path) -> bool:
            return path not in in_flight and (young is None or _modified_before(path, young))

        removed_temps = sum(_remove(path) for path in temps if leftover(path))
        stray = sum(_remove(path) for path in finals if path not in known and leftover(path))
        missing = sum(not (self.files_dir / file).is_file() for _, file in rows)
        return Recovery(temp_files=removed_temps, stray_files=stray, missing_files=missing)

    def usage(self) -> list[dict]:
        """Per holder: items kept, seconds of video, bytes and when the last one was made."""
        with self._db._read() as conn:
            rows = conn.execute(
                text("SELECT holder, count(*), COALESCE(SUM(seconds), 0), COALESCE(SUM(bytes), 0), max(created_at)"
                     " FROM items GROUP BY holder ORDER BY holder")
            ).fetchall()
        return [
            {"holder": holder, "items": int(items), "seconds": float(seconds), "bytes": int(size), "last_made": last}
            for holder, items, seconds, size, last in rows
        ]

    def total_bytes(self) -> int:
        with self._db._read() as conn:
            return int(conn.execute(text("SELECT COALESCE(SUM(bytes), 0) FROM items")).scalar_one())

    # -- plumbing -------------------------------------------------------

    def _over_cap(self, conn: Connection, holder: str, size: int) -> bool:
        """Would ``size`` more bytes exceed max_bytes, counting what retention would drop for ``holder``?"""
        total = conn.execute(text("SELECT COALESCE(SUM(bytes), 0) FROM items")).scalar_one()
        freed = conn.execute(
            text("SELECT COALESCE(SUM(bytes), 0) FROM (SELECT bytes FROM items WHERE holder = :holder"
                 " ORDER BY seq DESC LIMIT :all OFFSET :kept) AS dropped"),
            {"holder": holder, "all": _ALL_ROWS, "kept": self.max_items_per_holder - 1},
        ).scalar_one()
        return int(total) - int(freed) + size > self.max_bytes

    def _insert(
        self, holder: str, item_id: str, kind: str, manifest: dict, manifest_json: str,
        seconds: float, size: int, relative: str,
    ) -> tuple[str, list[Path]]:
        """Insert the row and drop the holder's oldest rows beyond the limit.

        Returns the row's created_at and the dropped items' files, for the caller to remove.
        """
        created_at = self._clock()
        with self._db._write() as conn:
            if self._over_cap(conn, holder, size):
                raise HistoryFull()
            conn.execute(
                text(f"INSERT INTO items ({_COLUMNS}) VALUES (:id, :holder, :created_at, :kind, :model, :prompt,"
                     " :seed, :seconds, :bytes, :manifest, :file)"),
                {"id": item_id, "holder": holder, "created_at": created_at, "kind": kind, "model": _model(manifest),
                 "prompt": _prompt(manifest), "seed": _seed(manifest), "seconds": seconds, "bytes": size,
                 "manifest": manifest_json, "file": relative},
            )
            old = conn.execute(
                text("SELECT id, file FROM items WHERE holder = :holder ORDER BY seq DESC LIMIT :all OFFSET :kept"),
                {"holder": holder, "all": _ALL_ROWS, "kept": self.max_items_per_holder},
            ).fetchall()
            if old:
                conn.execute(text("DELETE FROM items WHERE id = :id"), [{"id": old_id} for old_id, _ in old])
        return created_at, [self.files_dir / file for _, file in old]

    def _copy_into_place(self, source: Path, temporary: Path, target: Path) -> int:
        """Copy to ``temporary`` (beside ``target``), fsync, rename: ``target`` is whole or absent."""
        self._make_dir(self.files_dir)
        self._make_dir(target.parent)
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "wb") as out, open(source, "rb") as data:
                shutil.copyfileobj(data, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
                size = out.tell()
            os.replace(temporary, target)
        except BaseException:
            _remove(temporary)
            raise
        _fsync_dir(target.parent)
        return size

    @staticmethod
    def _make_dir(directory: Path) -> None:
        if not directory.is_dir():
            directory.mkdir(parents=True, exist_ok=True)
            os.chmod(directory, 0o700)  # private: mkdir's mode is subject to umask

    def _item(self, row: tuple) -> HistoryItem:
        item_id, holder, created_at, kind, model, prompt, seed, seconds, size, manifest, file = row
        path = self.files_dir / file
        return HistoryItem(
            id=item_id, holder=holder, created_at=created_at, kind=kind, model=model, prompt=prompt,
            seed=seed, seconds=seconds, bytes=size, manifest=json.loads(manifest), path=path,
            missing=not path.is_file(),
        )

def _modified_before(path: Path, moment: float) -> bool:
    try:
        return path.stat().st_mtime < moment
    except FileNotFoundError:
        return False


def _remove(path: Path) -> bool:
    """Unlink ``path``; True if it was there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every filesystem allows it)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
