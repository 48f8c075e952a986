"""Refusal rows written behind the answer, by a thread of their own.

The app refuses a wrong token in its validator, on the web server's event loop. Writing the "denied" row there
would make every request in flight wait for the disk: a commit is a sync, and with a clip rendering on a busy
shared machine the row took 10 to 30 ms, most of the validator's time (docs/performance.md). So the
gate hands refusal rows to this writer and answers at once; the writer stores whatever has queued up in one
transaction, so a flood of wrong tokens costs one disk sync per batch, not one per attempt.

A lockout is written down the same way (``remember_lock``), so a restart keeps it and a locked database never
holds up the answer. A row keeps the time of its refusal. The writer is behind by one batch (milliseconds); ``flush`` waits for it and
runs at a normal interpreter exit. SIGTERM ends the app at once, without that: it can lose the rows of the last
milliseconds, as it loses the lockout's counts, which live in memory.
"""

from __future__ import annotations

import atexit
import datetime
import logging
import queue
import threading
from typing import Callable

from .audit import AuditLog
from .db import DatabaseError

logger = logging.getLogger("reel.access")
EXIT_FLUSH_SECONDS = 5.0


class RefusalWriter:
    """Queues (time, outcome, client) refusal rows and writes them in batches from a daemon thread."""

    def __init__(
        self, audit: AuditLog, remember_lock: Callable[[str, datetime.datetime], None] | None = None
    ) -> None:
        self._audit = audit
        self._remember_lock = remember_lock
        self._rows: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0  # queued and not yet written (or given up on)
        self._settled = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="reel-refusal-audit", daemon=True)
        self._thread.start()
        atexit.register(self.flush, EXIT_FLUSH_SECONDS)

    def record(
        self, at: datetime.datetime, outcome: str, client: str, locked_until: datetime.datetime | None = None
    ) -> None:
        """Queue one row (and, for a lockout, when it ends); returns at once."""
        with self._settled:
            self._pending += 1
        self._rows.put((at, outcome, client, locked_until))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every row queued so far is written; False if `timeout` passed first."""
        with self._settled:
            return self._settled.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            batch = [self._rows.get()]
            while True:
                try:
                    batch.append(self._rows.get_nowait())
                except queue.Empty:
                    break
            try:
                self._audit.record_refusals([(at, outcome, client) for at, outcome, client, _ in batch])
                self._keep_locks(batch)
            except (DatabaseError, OSError) as exc:  # as Gate._audit: logged, never raised at a caller
                logger.warning("Audit write failed (%s); %d refusal row(s) lost", type(exc).__name__, len(batch))
            except Exception:  # anything else would end the thread, and every later row with it
                logger.exception("Audit write failed; %d refusal row(s) lost", len(batch))
            finally:
                with self._settled:
                    self._pending -= len(batch)
                    self._settled.notify_all()

    def _keep_locks(self, batch: list) -> None:
        for _, _, client, locked_until in batch:
            if locked_until is not None and self._remember_lock is not None:
                try:
                    self._remember_lock(client, locked_until)
                except (DatabaseError, OSError) as exc:
                    logger.warning("Could not keep a lockout across restarts (%s)", type(exc).__name__)
