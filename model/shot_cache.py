"""Finished storyboard shots on disk, so re-rolling one shot regenerates only it and the shots after it.

A shot's key hashes everything that decides its frames (see shot_key); its frames are stored as `<key>.npy`
(and a model's sound as float samples in `<key>-sound.npy` beside them),
uncompressed: zlib took 0.3 s per one-second preview shot (video frames barely compress losslessly) where a plain
write takes a few milliseconds, and the byte budget bounds the disk either way. Writes go to a temporary file in
the same folder and are renamed into place, so a reader never sees half a file; a file that does not load as
exactly the frames expected is a miss (and is removed). The folder is kept under a byte budget by removing the
least recently used files first.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

logger = logging.getLogger("reel.model")

DEFAULT_CACHE_BYTES = 4 * 1024**3
_SUFFIX = ".npy"
_SOUND = "-sound"


def shot_key(parts: dict) -> str:
    """sha256 of the parts as canonical JSON: the same inputs always give the same name."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ShotCache:
    """uint8 frames by key, under `directory`, at most `max_bytes` in total (oldest used evicted).

    Writes happen on a background thread, off the storyboard's critical path (a 720p shot is hundreds of
    megabytes); until its file is in place a shot is served from memory, so a `get` right after `put` hits."""

    def __init__(self, directory: Path, max_bytes: int = DEFAULT_CACHE_BYTES):
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.directory = Path(directory)
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        self._pending: dict[str, np.ndarray] = {}
        self._pending_lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shot-cache")

    def _path(self, key: str, part: str = "") -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("a cache key is a sha256 hex digest")
        return self.directory / f"{key}{part}{_SUFFIX}"

    def get_sound(self, key: str) -> np.ndarray | None:
        """The shot's sound samples (float32 (channels, samples)), or None when absent or unreadable."""
        sound_key = key + _SOUND
        with self._pending_lock:
            pending = self._pending.get(sound_key)
        if pending is not None:
            return pending
        path = self._path(key, _SOUND)
        try:
            samples = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if samples.dtype != np.float32 or samples.ndim != 2:
            self._discard(path)
            return None
        return samples

    def get(self, key: str, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
        """The cached frames, or None when absent, unreadable or not of `shape` (then the file is dropped)."""
        path = self._path(key)
        with self._pending_lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending if not shape or pending.shape == shape else None
        try:
            frames = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError) as error:
            logger.warning("Dropping unreadable cached shot %s (%s)", path.name, type(error).__name__)
            self._discard(path)
            return None
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or (shape and frames.shape != shape):
            logger.warning("Dropping cached shot %s of unexpected shape %s", path.name, frames.shape)
            self._discard(path)
            return None
        try:
            os.utime(path)  # most recently used: evicted last
        except OSError:
            pass
        return frames

    def put(self, key: str, frames: np.ndarray, sound: np.ndarray | None = None) -> None:
        """Keep `frames` (never modified afterwards), and the shot's sound samples if any, under `key`; the files
        are written in the background, the sound first, so frames on disk always have their sound beside them."""
        if sound is not None:
            sound = np.ascontiguousarray(sound, dtype=np.float32)
            with self._pending_lock:
                self._pending[key + _SOUND] = sound
            self._writer.submit(self._write, key + _SOUND, self._path(key, _SOUND), sound)
        frames = np.ascontiguousarray(frames, dtype=np.uint8)
        path = self._path(key)
        with self._pending_lock:
            self._pending[key] = frames
        self._writer.submit(self._write, key, path, frames)

    def flush(self) -> None:
        """Wait until every shot put so far is on disk."""
        self._writer.submit(lambda: None).result()

    def _write(self, key: str, path: Path, frames: np.ndarray) -> None:  # frames: or sound samples
        temporary = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".shot-", suffix=".tmp", dir=self.directory)
            with os.fdopen(handle, "wb") as file:
                np.save(file, frames, allow_pickle=False)
            os.replace(temporary, path)
            self.evict()
        except Exception as error:  # a full disk costs the cache entry, never the storyboard
            logger.warning("Could not cache shot %s: %s", path.name, type(error).__name__)
            if temporary is not None:
                self._discard(Path(temporary))
        finally:
            with self._pending_lock:
                self._pending.pop(key, None)

    def evict(self) -> None:
        """Remove least recently used shots until the folder fits the budget."""
        with self._lock:
            entries = []
            for path in self.directory.glob(f"*{_SUFFIX}"):
                try:
                    info = path.stat()
                except OSError:
                    continue
                entries.append((info.st_mtime_ns, info.st_size, path))
            total = sum(size for _, size, _ in entries)
            for _, size, path in sorted(entries):
                if total <= self.max_bytes:
                    break
                self._discard(path)
                total -= size

    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.directory.glob(f"*{_SUFFIX}"))

    @staticmethod
    def _discard(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass
