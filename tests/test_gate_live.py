"""The gate under abuse, against live servers: expiry, queued revocation, lockout, quota races, refunds,
restarts and a full disk. Each scenario that changes server-wide state gets a server of its own: an app built in
this process, except where the scenario is about the process (a SIGTERM) or needs a temp dir of its own (the
full disk)."""

import functools
import signal
import subprocess
import time

import pytest
from gradio_client.exceptions import AppError, ValidationError
from gradio_client.utils import Status

from access import INVALID_TOKEN_MESSAGE
from bench.live_server import start_server
from conftest import clip_folder_broken, race, running_process, running_server, used_today, wait_for
from in_process import start_in_process

pytestmark = pytest.mark.live

RACE_TRIALS = 10
RACE_CALLERS = 8


def quick(client, token, **kwargs):
    arguments = {"prompt": "a kite over the dunes", "seconds": 0.5, "steps": 1, "access_token": token, **kwargs}
    return client.predict(**arguments, api_name="/generate")


def waiting_in_the_queue(job) -> None:
    """Wait until the job has passed its validator and waits in Gradio's queue."""
    wait_for(lambda: job.status().code == Status.IN_QUEUE)


def test_an_expired_token_gets_the_same_message_as_a_wrong_one(live_server):
    token = live_server.issue_token("short-lived", "--expires-in", "2s")
    quick(live_server.client(), token)
    time.sleep(2.5)  # the point of the test: its two seconds run out
    with pytest.raises(ValidationError) as refused:
        quick(live_server.client(), token)
    assert INVALID_TOKEN_MESSAGE in str(refused.value)


def test_revoking_a_token_stops_its_job_already_waiting_in_the_queue(live_server):
    runner = live_server.issue_token("queue-runner")
    waiter = live_server.issue_token("queue-waiter")
    client = live_server.client()
    runs_before = live_server.generation_count()
    long_job = client.submit(
        prompt="a long shot", seconds=5.0, steps=50, access_token=runner, api_name="/generate"
    )
    wait_for(lambda: live_server.generation_count() > runs_before)
    queued = client.submit(prompt="waiting", seconds=0.5, steps=1, access_token=waiter, api_name="/generate")
    waiting_in_the_queue(queued)  # through the validator and into the queue, behind the long job
    assert not long_job.done(), "the long job must still hold the GPU slot"
    live_server.revoke("queue-waiter")
    with pytest.raises(AppError) as refused:
        queued.result(timeout=120)
    assert INVALID_TOKEN_MESSAGE in str(refused.value)
    long_job.result(timeout=120)
    assert live_server.generation_count() == runs_before + 1, "the revoked job never reached the pipeline"


def test_a_failed_generation_is_refunded(live_server):
    token = live_server.issue_token("refund-me", "--daily-limit", "1")
    with clip_folder_broken(live_server), pytest.raises(AppError, match="Generation failed on the server"):
        quick(live_server.client(), token)
    assert used_today(live_server, "refund-me") == (0, 0.0, 0)
    quick(live_server.client(), token)  # the one clip of the day is still there
    assert used_today(live_server, "refund-me")[0] == 1


@pytest.fixture(scope="module")
def race_server(tmp_path_factory):
    # Every caller may queue (the per-holder job limit is tests/test_fair_share_live.py's): this races the quota.
    env = {"REEL_GPU_CONCURRENCY": str(RACE_CALLERS), "REEL_MAX_JOBS_PER_HOLDER": str(RACE_CALLERS)}
    with running_server(tmp_path_factory.mktemp("race"), env) as server:
        yield server


def test_concurrent_calls_on_a_one_clip_token_spend_exactly_one(race_server):
    clients = [race_server.client() for _ in range(RACE_CALLERS)]
    for trial in range(RACE_TRIALS):
        label = f"race-{trial}"
        token = race_server.issue_token(label, "--daily-limit", "1")
        outcomes = race([functools.partial(quick, clients[index], token, seed=index) for index in range(RACE_CALLERS)])
        assert outcomes.count("ok") == 1, f"trial {trial}: {outcomes}"
        refusals = [outcome for outcome in outcomes if outcome != "ok"]
        assert all("used its 1 clip for today" in refusal for refusal in refusals), refusals
        clips, seconds, pending = used_today(race_server, label)
        assert (clips, pending) == (1, 0), f"trial {trial}: nothing lost, nothing double-spent"
        assert seconds == pytest.approx(9 / 24), "0.5 s asked, snapped to 9 frames at 24 fps"


@pytest.fixture
def lockout_server(tmp_path):
    with running_server(tmp_path) as server:
        yield server


def test_brute_force_locks_the_client_out_even_with_a_good_token(lockout_server):
    good = lockout_server.issue_token("brute-target", "--daily-limit", "1")
    client = lockout_server.client()
    quick(client, good)
    for _ in range(3):  # a token refused for its quota is not a failed attempt
        with pytest.raises(ValidationError, match="used its 1 clip"):
            quick(client, good)
    for attempt in range(20):
        with pytest.raises(ValidationError) as refused:
            quick(client, "reel_" + f"{attempt:049d}")
        assert INVALID_TOKEN_MESSAGE in str(refused.value)
    with pytest.raises(ValidationError) as locked:
        quick(client, good)
    assert "Too many failed attempts; try again in 10 minutes." in str(locked.value)
    assert good not in lockout_server.log_text()


@pytest.mark.process
def test_sigterm_with_jobs_queued_loses_no_quota_after_restart(tmp_path):
    server = start_server(tmp_path, extra_env={"REEL_MAX_JOBS_PER_HOLDER": "3"})
    token = server.issue_token("survivor", "--daily-limit", "3")
    client = server.client()
    running = client.submit(prompt="long", seconds=5.0, steps=50, access_token=token, api_name="/generate")
    queued = [
        client.submit(prompt=f"queued {i}", seconds=0.5, steps=1, access_token=token, api_name="/generate")
        for i in range(2)
    ]
    wait_for(lambda: server.generation_count() >= 1)
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    for job in [running, *queued]:
        try:
            job.result(timeout=10)
        except Exception:
            pass  # the server went away; what matters is the quota after the restart

    restarted = start_in_process(tmp_path)  # the start after the signal need not be a process of its own
    try:
        committed, _, pending = used_today(restarted, "survivor")
        assert pending == 0, "a reservation left by the shutdown was reconciled at start"
        for _ in range(3 - committed):
            quick(restarted.client(), token)
        with pytest.raises(ValidationError, match="used its 3 clips"):
            quick(restarted.client(), token)
    finally:
        restarted.stop()
    assert server.places_holding(token) == [] and restarted.places_holding(token) == []


def _small_filesystem(path):
    """A 1 MB tmpfs, so writing a clip fails with ENOSPC the way a full disk does."""
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)], check=True)
    return path


@pytest.mark.process
def test_a_full_disk_gives_a_clear_error_and_a_refund(tmp_path):
    full = _small_filesystem(tmp_path / "full-tmp")
    try:
        # A process: an in-process app's temp dir is chosen for it (tests/in_process.py), not a mount of its own.
        with running_process(tmp_path / "server", {"GRADIO_TEMP_DIR": str(full)}) as server:
            token = server.issue_token("disk", "--daily-limit", "1")
            with pytest.raises(AppError) as failed:
                quick(server.client(), token, seconds=2.0)
            message = str(failed.value)
            assert "Generation failed on the server" in message and "No space" not in message
            assert used_today(server, "disk") == (0, 0.0, 0)
            assert "Generation failed" in server.log_text()
    finally:
        subprocess.run(["umount", str(full)], check=False)


def test_hf_tokens_from_api_callers_are_checked_and_a_failed_lookup_refuses(tmp_path):
    with running_server(tmp_path, {"REEL_ALLOWED_USERS": "alice,bob"}) as server:
        client = server.client(headers={"Authorization": "Bearer hf_" + "a" * 34})
        with pytest.raises(ValidationError) as refused:
            client.predict(prompt="a cat", api_name="/generate")
        assert "could not be verified" in str(refused.value)
        assert "hf_" + "a" * 34 not in server.log_text()


def test_a_full_queue_is_refused_with_a_clear_message(tmp_path):
    from gradio_client.utils import QueueError

    with running_server(tmp_path, {"REEL_QUEUE_SIZE": "1", "REEL_MAX_JOBS_PER_HOLDER": "3"}) as server:
        token = server.issue_token("crowd")
        client = server.client()
        running = client.submit(prompt="long", seconds=5.0, steps=50, access_token=token, api_name="/generate")
        wait_for(lambda: server.generation_count() >= 1)
        waiting = client.submit(prompt="next", seconds=0.5, steps=1, access_token=token, api_name="/generate")
        waiting_in_the_queue(waiting)  # the queue's one place is taken
        with pytest.raises(QueueError) as full:
            quick(server.client(), token)
        assert "Queue is full" in str(full.value)
        running.result(timeout=120)
        waiting.result(timeout=120)
