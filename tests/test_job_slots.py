"""The per-holder job limit: the slot counter under threads, and the job control that ties slots to Gradio's queue,
in-process against a stand-in queue (the live behaviour is tests/test_fair_share_live.py's)."""

import asyncio
import pickle
import threading
from types import SimpleNamespace

import pytest

from access import Grant, JobSlots, TooManyJobs
from ui.job_control import Job, JobCancelled, JobControl

THREADS = 16


def test_a_holder_gets_the_limit_and_no_more_and_others_are_unaffected():
    slots = JobSlots(2)
    assert slots.try_acquire("alice", "a1") == 1
    assert slots.try_acquire("alice", "a2") == 2
    with pytest.raises(TooManyJobs) as full:
        slots.try_acquire("alice", "a3")
    assert full.value.count == 2
    assert full.value.message.startswith("You already have 2 jobs queued or running (the limit is 2 per person).")
    assert slots.try_acquire("bob", "b1") == 1, "another holder still gets a slot"
    assert slots.release("a1") is True
    assert slots.release("a1") is False, "releasing twice changes nothing"
    assert slots.try_acquire("alice", "a3") == 2
    assert slots.count("alice") == 2 and sorted(slots.keys()) == ["a2", "a3", "b1"]


def test_the_message_says_how_many_jobs_are_waiting():
    assert TooManyJobs(1, 1).message.startswith("You already have 1 job queued or running (the limit is 1 per")


def test_the_limit_comes_from_the_environment_and_nonsense_is_refused():
    assert JobSlots.from_env({}).limit == 2
    assert JobSlots.from_env({"REEL_MAX_JOBS_PER_HOLDER": " 5 "}).limit == 5
    for wrong in ("0", "-1", "two", "1.5", "+3"):
        with pytest.raises(ValueError, match="REEL_MAX_JOBS_PER_HOLDER must be a whole number, 1 or more"):
            JobSlots.from_env({"REEL_MAX_JOBS_PER_HOLDER": wrong})


def test_simultaneous_requests_never_share_the_last_slot():
    for trial in range(20):
        slots = JobSlots(3)
        start = threading.Barrier(THREADS)
        taken = []

        def take(number):
            start.wait()
            try:
                slots.try_acquire("alice", f"job-{number}")
                taken.append(number)
            except TooManyJobs:
                pass

        threads = [threading.Thread(target=take, args=(number,)) for number in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(taken) == 3 and slots.count("alice") == 3, f"trial {trial}"


def test_taking_and_giving_back_from_many_threads_never_exceeds_the_limit():
    slots = JobSlots(2)
    running, most, guard = [0], [0], threading.Lock()

    def churn(number):
        for round_ in range(300):
            key = f"{number}-{round_}"
            try:
                slots.try_acquire("alice", key)
            except TooManyJobs:
                continue
            with guard:
                running[0] += 1
                most[0] = max(most[0], running[0])
            with guard:
                running[0] -= 1
            slots.release(key)

    threads = [threading.Thread(target=churn, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] <= 2 and slots.count("alice") == 0 and slots.keys() == []


# -- the job control, against a stand-in of Gradio's queue ---------------------------------------------------------


class Audit:
    def __init__(self):
        self.rows = []

    def note(self, outcome, client, grant=None, seconds=None, prompt=None):
        self.rows.append((outcome, grant.quota_key if grant else None))


def queued_request():
    return SimpleNamespace(request=SimpleNamespace(state=SimpleNamespace()))


def stand_in_queue():
    return SimpleNamespace(event_queue_per_concurrency_id={"gpu": SimpleNamespace(queue=[])}, active_jobs=[None])


def test_a_job_that_leaves_the_queue_unrun_gives_its_slot_back_once_its_request_has_ended():
    queue, audit = stand_in_queue(), Audit()
    control = JobControl(JobSlots(1), audit)
    control.watch(SimpleNamespace(_queue=queue))
    request = queued_request()

    async def join():
        assert control.take_slot(Grant("alice"), request, "127.0.0.1") == {}
        control.reconcile()  # still inside the request that queues it: kept
        assert control.slots.count("alice") == 1
        queue.event_queue_per_concurrency_id["gpu"].queue.append(SimpleNamespace(request=request.request, alive=True))

    asyncio.run(join())
    control.reconcile()
    assert control.slots.count("alice") == 1, "waiting in the queue: kept"
    refused = asyncio.run(async_take(control, Grant("alice")))
    assert refused["access_token"].startswith("You already have 1 job queued or running")
    queue.event_queue_per_concurrency_id["gpu"].queue.clear()  # stopped while waiting
    assert asyncio.run(async_take(control, Grant("alice"))) == {}, "the unrun job's slot came back"
    assert audit.rows == [("cancelled", "alice")]


async def async_take(control, grant):
    return control.take_slot(grant, queued_request(), "127.0.0.1")


def test_a_stopped_job_raises_at_its_next_check_and_a_lost_client_stops_it_too():
    job = Job()
    job.check()
    job.stop()
    with pytest.raises(JobCancelled):
        job.check()
    event = SimpleNamespace(alive=True)
    watched = Job(event=event)
    watched.check()
    event.alive = False
    with pytest.raises(JobCancelled):
        watched.check()


def test_a_job_copied_into_a_gpu_worker_pickles_and_never_stops_there():
    job = Job(key="k", event=SimpleNamespace(alive=False))
    job.stop()
    copy = pickle.loads(pickle.dumps(job))
    copy.check()  # no flag to see there: it runs to the end of its GPU call
