"""The gate on PostgreSQL (REEL_DATABASE_URL), attacked from outside: two servers on one database, a database that
goes away and comes back while a server runs, and one that cannot be reached at start."""

import functools
import json
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError, ValidationError

from access import DATABASE_UNAVAILABLE_MESSAGE, INVALID_TOKEN_MESSAGE
from bench.live_server import REPO_ROOT, start_server
from ui.studio.history_actions import MISSING_FILE_MESSAGE
from conftest import audit_outcomes, race, running_process, running_server, used_today, wait_for
from postgres import ThrowawayPostgres, server_binaries

pytestmark = pytest.mark.live

CALLERS_PER_SERVER = 3


def quick(client, token, **kwargs):
    arguments = {"prompt": "a lighthouse at dusk", "seconds": 0.5, "steps": 1, "access_token": token, **kwargs}
    return client.predict(**arguments, api_name="/generate")


@pytest.mark.process
def test_two_servers_on_one_database_share_tokens_revocations_and_the_last_clip(postgres, tmp_path):
    """One app in this process, one `python app.py`: two processes, one gate."""
    shared = {"REEL_DATABASE_URL": postgres.new_database()}
    with running_server(tmp_path / "one", shared) as one, running_process(tmp_path / "two", shared) as two:
        token = one.issue_token("shared-holder")
        assert quick(two.client(), token)[0], "a token issued through one server works on the other at once"

        last = one.issue_token("one-clip", "--daily-limit", "1")
        clients = [server.client() for server in (one, two) for _ in range(CALLERS_PER_SERVER)]
        outcomes = race([functools.partial(quick, client, last, seed=seed) for seed, client in enumerate(clients)])
        assert outcomes.count("ok") == 1, outcomes
        refusals = [outcome for outcome in outcomes if outcome != "ok"]
        # Each server's fair share may also refuse a holder's extra jobs while one runs: either way, never a clip.
        assert all("used its 1 clip for today" in refusal or "finish or stop it" in refusal for refusal in refusals)
        assert used_today(one, "one-clip")[::2] == used_today(two, "one-clip")[::2] == (1, 0)

        two.revoke("shared-holder")
        with pytest.raises(ValidationError) as refused:
            quick(one.client(), token)
        assert INVALID_TOKEN_MESSAGE in str(refused.value), "a revocation through one server is seen by the other"


def test_a_database_that_goes_away_refuses_with_reels_message_then_serves_again(tmp_path):
    """Its own cluster, so stopping it leaves the session's alone."""
    database = ThrowawayPostgres(server_binaries(), port=54331)
    database.initialise()
    database.start()
    try:
        with running_server(tmp_path / "app", {"REEL_DATABASE_URL": database.new_database()}) as server:
            token = server.issue_token("steady", "--daily-limit", "3")
            client = server.client()
            quick(client, token)
            database.stop()
            for _ in range(2):
                with pytest.raises(ValidationError) as refused:
                    quick(client, token)
                assert DATABASE_UNAVAILABLE_MESSAGE in str(refused.value)
            database.start()
            quick(client, token)  # the pool replaces the dropped connections by itself
            assert used_today(server, "steady")[::2] == (2, 0), "two clips charged, the refused ones not, none pending"
            assert "s3cret" not in server.log_text()
    finally:
        database.remove()


@pytest.mark.process
def test_an_unreachable_database_stops_the_start_in_one_line_before_any_model_loads(tmp_path):
    url = f"postgresql://reel:s3cret-pw@/gate?host={tmp_path}&port=9"  # no server listens on that socket
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "REEL_MODEL": "tiny-ltx",
           "REEL_DATA_DIR": str(tmp_path / "data"), "REEL_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "Reel cannot start: cannot use the token store at the PostgreSQL database 'gate' named by REEL_DATABASE_URL: "
        "the database cannot be reached, refused the connection or is busy"
    )
    assert "s3cret-pw" not in result.stdout + result.stderr and str(tmp_path) not in result.stdout + result.stderr
    assert "Memory plan" not in result.stdout + result.stderr and not (tmp_path / "data" / "models").exists()


@pytest.mark.process
def test_kill_9_mid_clip_then_a_restart_on_a_wiped_disk_refunds_it_once_and_keeps_everything_else(postgres, tmp_path):
    """A Space's restart: the database and the history folder (a bucket on a Space) outlive the disk."""
    admin_token = secrets.token_urlsafe(32)
    env = {"REEL_DATABASE_URL": postgres.new_database(), "REEL_HISTORY_DIR": str(tmp_path / "bucket"),
           "REEL_SERVER_NAME": "space:studio/reel", "REEL_ADMIN_TOKEN": admin_token}
    first = start_server(tmp_path / "space", env)
    try:
        client = first.client()
        token = client.predict(label="artist", daily_limit=5, daily_seconds=0, expires_in="", admin_token=admin_token,
                               api_name="/admin_issue")["token"]  # issued from the page's API, no shell
        first.issued_tokens += [token, admin_token]
        kept_path, kept_manifest = quick(client, token, seed=7)
        client.submit(prompt="a long pan over the harbour", seconds=5.0, steps=50, access_token=token,
                      api_name="/generate")
        wait_for(lambda: first.generation_count() >= 2 and used_today(first, "artist")[2] == 1)
    finally:
        first.process.kill()  # kill -9 with the second clip reserved and rendering
        first.process.wait()
    shutil.rmtree(first.data_dir)

    with running_process(tmp_path / "space", env) as second:
        second.issued_tokens += [token, admin_token]
        assert "1 clip reservation(s) left by a restart refunded" in second.log_text()
        clips, seconds, pending = used_today(second, "artist")
        assert (clips, pending) == (1, 0) and seconds == pytest.approx(kept_manifest["num_frames"] / 24)
        client = second.client()
        [item] = client.predict(access_token=token, limit=10, api_name="/history")["items"]
        assert (item["seed"], item["missing"]) == (7, False)
        downloaded = client.predict(access_token=token, id=item["id"], api_name="/history_video")
        assert Path(downloaded).read_bytes() == Path(kept_path).read_bytes()
        assert audit_outcomes(second, "artist") == ["admin_issue", "ok"]
        quick(client, token, seed=8)  # the token issued before the restart is still admitted
        assert used_today(second, "artist")[::2] == (2, 0)
    with running_process(tmp_path / "space", env) as third:  # a restart with nothing in flight refunds nothing
        assert "0 clip reservation(s) left by a restart refunded" in third.log_text()


def test_a_kept_video_whose_file_is_gone_is_listed_as_missing_and_answered_with_reels_message(postgres, tmp_path):
    """A history index that outlived its files (a data dir wiped without REEL_HISTORY_DIR, a lost object)."""
    with running_server(tmp_path / "app", {"REEL_DATABASE_URL": postgres.new_database()}) as server:
        token = server.issue_token("forgetful")
        client = server.client()
        _, manifest = quick(client, token, seed=21)
        for kept in (server.data_dir / "history").rglob("*.mp4"):
            kept.unlink()
        [item] = client.predict(access_token=token, limit=10, api_name="/history")["items"]
        assert (item["missing"], item["seed"], item["manifest"]) == (True, 21, manifest)
        with pytest.raises(AppError) as refused:
            client.predict(access_token=token, id=item["id"], api_name="/history_video")
        assert str(refused.value) == MISSING_FILE_MESSAGE
        remade, _ = client.predict(manifest=json.dumps(item["manifest"]), access_token=token, api_name="/reproduce")
        assert Path(remade).is_file(), "its manifest still makes the video again"
