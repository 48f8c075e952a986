"""Where finished uploads are kept, and the pruning that keeps them within a bound on disk.

Gradio writes an upload into a folder of its own in its cache (GRADIO_TEMP_DIR), beside the cached copies of the
clips it serves, where the two cannot be told apart. Each finished upload is therefore moved into a folder of its
own (``adopt``), still inside Gradio's cache so every component accepts it, and only that folder is pruned:

* an upload younger than ``keep_seconds`` (the upload window) or named by a job waiting or running is never
  removed: its bytes are counted by the upload budget's window, and the job still needs it;
* any other upload goes once it is older than ``lifetime_seconds``, and the oldest go first while the folder
  holds more than ``max_bytes``;
* Gradio's own temporary files of an upload it never finished (a part sent under another field name) are
  removed from the cache's top folder once untouched for ``keep_seconds``;
* so are the files Gradio decodes from a ``data:`` address into an upload-named folder of its cache (an MCP tool
  call's picture, before any token is checked): the call uploads its own copy at once, and nothing else ever
  deletes them. No cached clip has a decoded file's name: Reel names its clips.

How Gradio names each of these is knowledge of Gradio's internals, kept in ``ui/gradio_internals.py``
(``GRADIO_CACHE_NAMING``) and handed in as a ``CacheNaming``.

A file counts its size plus ``PART_COST`` (its folder and the rest of its last disk block), as the budget does.
Standard library only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Collection

from .uploads import PART_COST

logger = logging.getLogger("reel.uploads")


@dataclass(frozen=True)
class CacheNaming:
    """How the web framework names what it writes in its cache folder (names matched whole)."""

    upload_folder: re.Pattern[str]  # a finished upload's folder, a direct child of the cache
    unfinished_upload: re.Pattern[str]  # a temporary file of an upload still arriving, in the cache's top folder
    decoded_file: re.Pattern[str]  # a file decoded from a data: address, in an upload_folder-named folder


@dataclass(frozen=True)
class PruneReport:
    removed: int
    removed_bytes: int
    kept_bytes: int
    leftovers: int  # Gradio temp files of unfinished uploads removed
    decoded: int = 0  # files Gradio decoded from data: addresses into its cache's top folder, removed


class UploadStore:
    def __init__(
        self,
        directory: Path,
        temp_dir: Path,
        *,
        naming: CacheNaming,
        max_bytes: int,
        keep_seconds: float,
        lifetime_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory).resolve()
        self.temp_dir = Path(temp_dir).resolve()
        self.naming = naming
        self.max_bytes = max_bytes
        self.keep_seconds = keep_seconds
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock

    def adopt(self, uploaded: str) -> str:
        """Move a file Gradio just stored into the upload folder; the path to use from now on.

        A path that is not ``<temp dir>/<folder>/<name>`` is returned unchanged. When two identical uploads race,
        the second finds its file already moved and gets the same stored path."""
        source = Path(uploaded).resolve()
        if source.parent.parent != self.temp_dir or not self.naming.upload_folder.fullmatch(source.parent.name):
            return uploaded
        target_dir = self.directory / source.parent.name
        target = target_dir / source.name
        for _ in range(2):  # a second time if a prune removed the folder between mkdir and the move
            try:
                target_dir.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
                break
            except FileNotFoundError:
                if not source.exists():  # moved by an identical upload racing this one
                    if not target.is_file():
                        return uploaded
                    break
        else:
            return uploaded
        os.utime(target)  # its age counts from now: the budget counts its bytes from the request's end
        try:
            source.parent.rmdir()  # Gradio's folder for it, now empty
        except OSError:
            pass  # not empty (another file of the same content) or already gone
        return str(target)

    def usage(self) -> int:
        return sum(PART_COST + size for _, _, size in self._files())

    def prune(self, pinned: Collection[str] = ()) -> PruneReport:
        """Remove expired uploads, then the oldest while over ``max_bytes``; never a young or pinned one."""
        now = self._clock()
        young_since = now - self.keep_seconds
        expired_before = now - max(self.lifetime_seconds, self.keep_seconds)
        files = sorted(self._files())
        total = sum(PART_COST + size for _, _, size in files)
        removed = removed_bytes = 0
        for modified, path, size in files:
            if modified >= young_since or str(path) in pinned:
                continue
            if modified >= expired_before and total <= self.max_bytes:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as error:
                logger.warning("Could not remove an old upload: %s", error.strerror)
                continue
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # its folder, when that was the last file in it
            total -= PART_COST + size
            removed += 1
            removed_bytes += size
        self._remove_empty_folders(young_since)
        return PruneReport(removed, removed_bytes, total, self._remove_leftovers(young_since),
                           self._remove_decoded(young_since, pinned))

    def _files(self) -> list[tuple[float, Path, int]]:
        found = []
        for folder, _, names in os.walk(self.directory):
            for name in names:
                path = Path(folder) / name
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue
                found.append((stat.st_mtime, path, stat.st_size))
        return found

    def _remove_empty_folders(self, young_since: float) -> None:
        """A folder ``adopt`` made a moment ago is young: left alone, so a move into it cannot fail."""
        try:
            folders = list(os.scandir(self.directory))
        except FileNotFoundError:
            return
        for entry in folders:
            try:
                if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < young_since:
                    os.rmdir(entry.path)
            except OSError:
                pass  # not empty, or gone

    def _remove_leftovers(self, young_since: float) -> int:
        removed = 0
        try:
            entries = list(os.scandir(self.temp_dir))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if not self.naming.unfinished_upload.fullmatch(entry.name):
                continue
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < young_since:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                pass
        return removed

    def _remove_decoded(self, young_since: float, pinned: Collection[str]) -> int:
        """Files Gradio decoded from a data: address, in the cache's top folder, untouched for a window; their
        folder too when that leaves it empty and nothing else was put in it for a window."""
        removed = 0
        try:
            folders = [entry for entry in os.scandir(self.temp_dir) if self.naming.upload_folder.fullmatch(entry.name)]
        except FileNotFoundError:
            return 0
        for folder in folders:
            try:
                if not folder.is_dir(follow_symlinks=False):
                    continue
                folder_is_old = folder.stat(follow_symlinks=False).st_mtime < young_since  # before removing in it
                entries = [entry for entry in os.scandir(folder.path) if self.naming.decoded_file.fullmatch(entry.name)]
            except OSError:
                continue
            for entry in entries:
                try:
                    old = entry.stat(follow_symlinks=False).st_mtime < young_since
                    if old and entry.is_file(follow_symlinks=False) and entry.path not in pinned:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    pass
            if entries and folder_is_old:
                with contextlib.suppress(OSError):
                    os.rmdir(folder.path)  # fails, as it should, while anything else is in it
        return removed
