"""Each GPU job's life beside Gradio's queue: the holder's slot (access.slots), taken before the queue and given
back however the job ends, and the flag that stops a running render at its next denoising step.

A job's slot is taken in its event's validator, under a key kept in the request's `state`, and given back:
- when its handler ends, in any way (the handler runs in a worker thread and releases the slot as it returns);
- when it leaves the queue without its handler running (stopped while waiting, or its client went away): the
  next `reconcile` finds it in neither the queue nor the running jobs and gives the slot back, audited
  "cancelled"; every new job's validator and every job's end reconcile first;
- at a restart, with everything else in memory.
Stopping a running job sets its flag; the progress callback (GradioProgress, called at every denoising step and
between phases) raises JobCancelled, which refunds the clip being made ("cancelled") and frees the GPU.

What this relies on in Gradio 6.31 (queueing.py, routes.py), held to by tests/test_fair_share_live.py:
- A validator runs on the event loop inside the `/queue/join` request, before that request queues its event; the
  handler later gets the same starlette Request (`gr.Request.request`), so a key in its `state` names the job.
- The queue's waiting and running events, each with its request, are read through `ui.gradio_internals`
  (`queue_events`, `event_request`), on the event loop, where Gradio changes them. `/cancel` and a lost client
  take a waiting event out without running its handler.
- `/cancel` cancels the asyncio task awaiting the handler and waits for it; a lost client marks the running
  event gone (`event_client_alive`) and lets the handler run on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Callable, TypeVar

import anyio
import gradio as gr

from access import Grant, JobSlots, TooManyJobs

from .gradio_internals import event_client_alive, event_request, queue_events

logger = logging.getLogger("reel.app")

STATE_KEY = "reel_job"
STOPPED_MESSAGE = "The job was stopped: its page or client went away."

Result = TypeVar("Result")


class JobCancelled(BaseException):
    """Raised by a stopped job's progress callback. A BaseException, like asyncio's CancelledError, so no
    `except Exception` on its way out (engine, storyboard runner, the GPU layer) takes it for a failure; the
    quota reservation around it is refunded as "cancelled"."""


@dataclass
class Ticket:
    grant: Grant
    client: str
    pushing: asyncio.Task | None  # the /queue/join request, until it has queued its event
    started: bool = False


class Job:
    """One running job as its handler sees it: its slot's key and whether it has been stopped."""

    def __init__(self, control: "JobControl | None" = None, key: str | None = None, event=None):
        self._control = control
        self.key = key
        self._event = event  # Gradio's queue event, which says when its client went away
        self._stop = threading.Event()

    def __reduce__(self):
        # On ZeroGPU the progress callback reaches the GPU worker pickled: that copy cannot see the flag and never
        # stops; the checks outside the GPU call (between shots, before encoding) still do.
        return (Job, ())

    def claim(self, grant: Grant, client: str) -> None:
        """Hold a slot for a job that reached its handler without one (a call that skipped the validator)."""
        if self.key is None and self._control is not None:
            try:
                self.key = self._control.claim(grant, client)
            except TooManyJobs as full:
                raise gr.Error(full.message, print_exception=False) from None

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set() or (self._event is not None and not event_client_alive(self._event))

    def check(self) -> None:
        """Raise JobCancelled once the job has been stopped."""
        if self.stopped:
            raise JobCancelled()


class JobControl:
    """The slots of every job the queue holds, and running their handlers so they can be stopped."""

    def __init__(self, slots: JobSlots, gate):
        self.slots = slots
        self.gate = gate  # audits a job that left the queue before it started
        self._blocks = None
        self._lock = threading.Lock()
        self._tickets: dict[str, Ticket] = {}

    def watch(self, blocks) -> None:
        """The app's Blocks, whose queue says which jobs are still alive; set once, at assembly."""
        self._blocks = blocks

    # -- before the queue (validators, on the event loop) ------------------------------------------------------

    def take_slot(self, grant: Grant, request: gr.Request | None, client: str) -> dict[str, str]:
        """A validator's last step, once everything else passed: a slot for this job, or the refusal to show
        under the token field. Runs on the event loop (validators are async), where the queue is read whole."""
        self.reconcile()
        key = uuid.uuid4().hex
        try:
            count = self.slots.try_acquire(grant.quota_key, key)
        except TooManyJobs as full:
            logger.info("Refused a job for %r: %d already queued or running", grant.quota_key, full.count)
            return {"access_token": full.message}
        state = _state_of(request)
        if state is None:  # not an HTTP request: the handler claims its own slot
            self.slots.release(key)
            return {}
        with self._lock:
            self._tickets[key] = Ticket(grant, client, asyncio.current_task())
        setattr(state, STATE_KEY, key)
        logger.info("Job %s for %r: %d of %d slots", key[:8], grant.quota_key, count, self.slots.limit)
        return {}

    def reconcile(self) -> None:
        """Give back the slots of jobs that left the queue without their handler running. On the event loop."""
        alive = self._queued_keys()
        if alive is None:
            return
        with self._lock:
            gone = {
                key: ticket for key, ticket in self._tickets.items()
                if not ticket.started and key not in alive and (ticket.pushing is None or ticket.pushing.done())
            }
            for key in gone:
                del self._tickets[key]
        for key, ticket in gone.items():
            if self.slots.release(key):
                logger.info("Job %s for %r left the queue before it started", key[:8], ticket.grant.quota_key)
                self.gate.note("cancelled", ticket.client, ticket.grant)

    # -- the handler -------------------------------------------------------------------------------------------

    async def run(self, request: gr.Request | None, body: Callable[[Job], Result]) -> Result:
        """The handler's work, `body(job)`, in a worker thread. Cancelled (Stop, `job.cancel()`, the server
        stopping), it stops the job and waits for the render to notice, so the GPU is free and the clip refunded
        before Gradio starts the next job; a client that went away stops it too."""
        starlette = getattr(request, "request", None) if request is not None else None
        key = _key_of(starlette)
        with self._lock:
            ticket = self._tickets.get(key) if key else None
            if ticket is not None:
                ticket.started = True
        job = Job(self, key if ticket is not None else None, self._event_of(starlette))
        work = asyncio.ensure_future(anyio.to_thread.run_sync(self._work, job, body))
        cancelled = False
        while not work.done():
            try:
                await asyncio.wait({work})
            except asyncio.CancelledError:
                cancelled = True
                job.stop()
        self.reconcile()
        if job.stopped:
            why = "stopped" if cancelled else "its client went away"
            logger.info("Job %s ended: %s", (job.key or "-")[:8], why)
        if cancelled:
            work.exception()  # read, so asyncio does not log it as never retrieved
            raise asyncio.CancelledError
        try:
            return work.result()
        except JobCancelled:  # its client went away; nobody reads this
            raise gr.Error(STOPPED_MESSAGE, print_exception=False) from None

    def claim(self, grant: Grant, client: str) -> str:
        """A slot taken by the handler itself (TooManyJobs at the limit); its key."""
        key = uuid.uuid4().hex
        self.slots.try_acquire(grant.quota_key, key)
        with self._lock:
            self._tickets[key] = Ticket(grant, client, None, started=True)
        return key

    def _work(self, job: Job, body: Callable[[Job], Result]) -> Result:
        try:
            return body(job)
        finally:
            if job.key is not None:
                with self._lock:
                    self._tickets.pop(job.key, None)
                self.slots.release(job.key)

    # -- Gradio's queue ----------------------------------------------------------------------------------------

    def _queued_keys(self) -> set[str] | None:
        events = queue_events(self._blocks)
        return None if events is None else {_key_of(event_request(event)) for event in events}

    def _event_of(self, starlette):
        if starlette is None:
            return None
        events = queue_events(self._blocks) or []
        return next((event for event in events if event_request(event) is starlette), None)


def _state_of(request: gr.Request | None):
    starlette = getattr(request, "request", None) if request is not None else None
    return getattr(starlette, "state", None)


def _key_of(starlette) -> str | None:
    return getattr(getattr(starlette, "state", None), STATE_KEY, None)
