"""Jobs at once per holder, and stopping jobs, against live servers: at most REEL_MAX_JOBS_PER_HOLDER (2 here)
waiting or running per holder, more refused before the queue; a job stopped while waiting or running, or whose
page closed, is refunded, audited "cancelled" and frees its slot; a restart frees every slot.

Long jobs (121 frames, 50 steps) keep the GPU slot busy; every test stops its long jobs instead of waiting for them.
"""

import re
import threading
import time
from pathlib import Path

import pytest
from gradio_client.exceptions import ValidationError
from gradio_client.utils import Status

from bench.throwaway_ca import ThrowawayCA
from conftest import audit_outcomes, running_process, running_server, used_today, wait_for
from test_browser import opened_page, set_slider

pytestmark = pytest.mark.live

LONG = {"prompt": "a slow pan along an endless beach", "seconds": 5.0, "steps": 50}
SHORT = {"prompt": "a kite over the dunes", "seconds": 0.5, "steps": 1}
SHORT_SECONDS = 9 / 24  # 0.5 s snaps to 9 frames at 24 fps
LIMIT_MESSAGE = "You already have 2 jobs queued or running (the limit is 2 per person)."


@pytest.fixture(scope="module")
def fair_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("fair-share"), {"REEL_MAX_JOBS_PER_HOLDER": "2"}) as server:
        yield server


def submit(server, token, settings, **extra):
    """A job from a client of its own: gradio's /cancel stops every running job of one client's session and
    endpoint, so jobs meant to be stopped one at a time each get their own."""
    return server.client().submit(access_token=token, api_name="/generate", **settings, **extra)


def started(server, label) -> int:
    """How many of the holder's jobs reached the pipeline, from the app's log."""
    return server.log_text().count(f"Generation for {label!r}")


def ended(server, why: str) -> int:
    return server.log_text().count(f"ended: {why}")


def assert_admitted(job):
    """The job joined the queue (or already runs): a refusal would have ended it with the validator's error."""
    wait_for(lambda: job.done() or job.status().code in (Status.IN_QUEUE, Status.PROCESSING, Status.PROGRESS))
    if job.done():
        job.result()


def test_six_jobs_at_once_queue_two_refuse_four_before_them_and_another_holder_still_queues(fair_server):
    token = fair_server.issue_token("six-at-once")
    other = fair_server.issue_token("six-other")
    client = fair_server.client()
    start = threading.Barrier(6)
    jobs = [None] * 6

    def send(number):
        start.wait()
        jobs[number] = client.submit(access_token=token, seed=number, api_name="/generate", **LONG)

    threads = [threading.Thread(target=send, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(lambda: sum(job.done() for job in jobs) >= 4)
    refused = [job for job in jobs if job.done()]
    admitted = [job for job in jobs if not job.done()]
    assert len(refused) == 4 and len(admitted) == 2, "four refusals came back while both admitted jobs still ran"
    for job in refused:
        with pytest.raises(ValidationError, match=re.escape(LIMIT_MESSAGE)):
            job.result()
    assert fair_server.log_text().count("Refused a job for 'six-at-once': 2 already queued or running") == 4

    served = submit(fair_server, other, SHORT)
    assert_admitted(served)  # behind the first holder's two
    for job in admitted:
        job.cancel()
    assert Path(served.result(timeout=120)[0]).exists()
    assert used_today(fair_server, "six-at-once") == (0, 0.0, 0)


def at_the_limit(server, label):
    """A new holder with two long jobs: the first running, the second waiting behind it. (token, running,
    waiting)."""
    token = server.issue_token(label, "--daily-limit", "5")
    running = submit(server, token, LONG)
    wait_for(lambda: started(server, label) == 1)
    waiting = submit(server, token, LONG)
    assert_admitted(waiting)
    return token, running, waiting


def test_stopping_a_running_job_refunds_it_and_frees_its_slot(fair_server):
    label = "stop-running"
    token, running, waiting = at_the_limit(fair_server, label)
    with pytest.raises(ValidationError, match=re.escape(LIMIT_MESSAGE)):
        fair_server.client().predict(access_token=token, api_name="/generate", **SHORT)
    assert used_today(fair_server, label) == (0, 0.0, 1), "the running clip is reserved"

    running.cancel()  # returns once the render has stopped and the clip is refunded
    assert audit_outcomes(fair_server, label) == ["cancelled"]
    assert used_today(fair_server, label)[:2] == (0, 0.0)
    latest = submit(fair_server, token, SHORT)
    assert_admitted(latest)  # the stopped job's slot is free while the other still holds one
    waiting.cancel()
    assert Path(latest.result(timeout=120)[0]).exists()
    assert used_today(fair_server, label) == (1, pytest.approx(SHORT_SECONDS), 0), "only the finished clip counts"
    assert sorted(audit_outcomes(fair_server, label)) == ["cancelled", "cancelled", "ok"]


def test_stopping_a_waiting_job_frees_its_slot_and_it_never_runs(fair_server):
    label = "stop-waiting"
    token, running, waiting = at_the_limit(fair_server, label)
    waiting.cancel()
    assert used_today(fair_server, label) == (0, 0.0, 1), "a waiting job reserves nothing"

    latest = submit(fair_server, token, SHORT)
    assert_admitted(latest)  # the waiting job's slot came back
    assert audit_outcomes(fair_server, label) == ["cancelled"], "the stopped job is in the audit log"
    running.cancel()
    assert Path(latest.result(timeout=120)[0]).exists()
    assert started(fair_server, label) == 2, "the job stopped while waiting never reached the pipeline"
    assert used_today(fair_server, label) == (1, pytest.approx(SHORT_SECONDS), 0)
    assert sorted(audit_outcomes(fair_server, label)) == ["cancelled", "cancelled", "ok"]


@pytest.mark.process
def test_a_restart_frees_every_slot(tmp_path):
    env = {"REEL_MAX_JOBS_PER_HOLDER": "1"}
    # A process: stopping it ends its running job, which an app in this process cannot do to its worker thread.
    with running_process(tmp_path, env) as server:
        token = server.issue_token("restarted")
        submit(server, token, LONG)
        wait_for(lambda: started(server, "restarted") == 1)
        with pytest.raises(ValidationError, match="You already have 1 job queued or running"):
            server.client().predict(access_token=token, api_name="/generate", **SHORT)
    with running_server(tmp_path, env) as restarted:
        video, _ = restarted.client().predict(access_token=token, api_name="/generate", **SHORT)
        assert Path(video).exists()


def start_long_job_in_page(page, token: str) -> None:
    page.fill("#prompt textarea", LONG["prompt"])
    page.fill("#access-token input", token)
    set_slider(page, "#seconds", "5")
    page.get_by_text("Advanced").first.click()
    set_slider(page, "#steps", "50")
    page.click("#generate")


@pytest.mark.browser
def test_stop_in_the_page_ends_the_running_job_and_refunds_it(browser, fair_server):
    label = "page-stop"
    token = fair_server.issue_token(label)
    with opened_page(browser, fair_server.url) as page:
        stops_before = ended(fair_server, "stopped")
        start_long_job_in_page(page, token)
        wait_for(lambda: started(fair_server, label) == 1)
        page.click("#stop")
        page.get_by_text("A video that had not reached you yet is not charged and not kept").first.wait_for(
            timeout=30_000)  # the toast says what a Stop costs
        wait_for(lambda: ended(fair_server, "stopped") == stops_before + 1)
    assert audit_outcomes(fair_server, label) == ["cancelled"]
    assert used_today(fair_server, label) == (0, 0.0, 0)


@pytest.mark.browser
def test_closing_the_page_ends_its_job_and_frees_its_slot(browser, fair_server):
    label = "page-closed"
    token = fair_server.issue_token(label)
    gone_before = ended(fair_server, "its client went away")
    with opened_page(browser, fair_server.url) as page:
        start_long_job_in_page(page, token)
        wait_for(lambda: started(fair_server, label) == 1)
        waiting = submit(fair_server, token, LONG)
        assert_admitted(waiting)
        with pytest.raises(ValidationError, match=re.escape(LIMIT_MESSAGE)):
            fair_server.client().predict(access_token=token, api_name="/generate", **SHORT)
    wait_for(lambda: ended(fair_server, "its client went away") == gone_before + 1)
    assert audit_outcomes(fair_server, label) == ["cancelled"], "the page's job was stopped and refunded"
    latest = submit(fair_server, token, SHORT)
    assert_admitted(latest)  # the closed page's slot is free
    waiting.cancel()
    assert Path(latest.result(timeout=120)[0]).exists()
    assert used_today(fair_server, label) == (1, pytest.approx(SHORT_SECONDS), 0)
    assert sorted(audit_outcomes(fair_server, label)) == ["cancelled", "cancelled", "ok"]


LATE_STOPS = 3


def reached(job, phase: str) -> bool:
    """Whether the job's progress, as its client sees it, has shown `phase` (a progress text's start)."""
    return any((unit.desc or "").startswith(phase) for unit in job.status().progress_data or [])


def test_a_stop_after_the_render_leaves_the_holder_and_the_server_agreeing(tmp_path, monkeypatch):
    """A Stop sent as the client sees encoding end lands while the clip is signed (C2PA) and kept: the history is
    made slow here (as a bucket mount can be), so it lands there every time. The client is told it stopped, and
    the quota and the history agree: not charged, not kept. Such Stops once left the clip charged and kept."""
    signing = ThrowawayCA.create().issue().environ()
    with running_server(tmp_path, signing) as server:
        history = server.runtime.history
        keep = history.add

        def slow_keep(*args, **kwargs):
            time.sleep(1.5)
            return keep(*args, **kwargs)

        token = server.issue_token("late-stopper")
        client = server.client()
        client.predict(access_token=token, api_name="/generate", **SHORT)  # one delivered clip to count beside
        monkeypatch.setattr(history, "add", slow_keep)
        for _ in range(LATE_STOPS):
            job = submit(server, token, SHORT)
            wait_for(lambda: reached(job, "Done"), every=0.005)
            job.cancel()
            wait_for(job.done)
            with pytest.raises(Exception):  # told it stopped (gradio_client raises its own exception for that)
                job.result(timeout=30)
            wait_for(lambda: used_today(server, "late-stopper")[2] == 0)
            kept = client.predict(access_token=token, limit=100, api_name="/history")["items"]
            assert (used_today(server, "late-stopper")[0], len(kept)) == (1, 1), "charged and kept: the first only"
        monkeypatch.undo()
        client.predict(access_token=token, api_name="/generate", **SHORT)
        assert used_today(server, "late-stopper")[0] == 2, "a clip nobody stopped is still delivered and charged"
        assert audit_outcomes(server, "late-stopper") == ["ok"] + ["cancelled"] * LATE_STOPS + ["ok"]
