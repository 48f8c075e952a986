"""Signed provenance against live servers: with the operator's certificate every output a gradio_client caller
downloads verifies with the C2PA reader (only "untrusted" left: the test CA is on no trust list) and carries the
clip's manifest; without one the page says outputs are unsigned; a bad certificate stops the app at start; a
signing failure still delivers the clip, unsigned."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import numpy as np
import pytest
from gradio_client import handle_file

from access import Grant
from bench.live_server import REPO_ROOT
from bench.throwaway_ca import ThrowawayCA, self_signed_credentials
from conftest import running_server
from history import HistoryStore
from model import encode_mp4, probe_audio, probe_video, read_manifest
from provenance import (
    TRAINED_ALGORITHMIC_MEDIA,
    UNTRUSTED_CODE,
    SigningFailed,
    active_manifest,
    assertion_data,
    read_provenance,
    reel_manifest,
    validation_codes,
)
from ui.job_control import Job
from ui.studio import delivery

SMALL = {"seconds": 0.5, "steps": 2, "resolution": "square"}


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory):
    credentials = ThrowawayCA.create().issue()
    with running_server(tmp_path_factory.mktemp("signed-server"), {"REEL_MODEL": "", **credentials.environ()}) as server:
        yield server


def check_signed(path, manifest):
    report = read_provenance(path)
    assert report is not None, "the file carries no C2PA manifest"
    assert set(validation_codes(report)) <= {UNTRUSTED_CODE}
    actions = assertion_data(report, "c2pa.actions")["actions"]
    assert [action["action"] for action in actions] == ["c2pa.created"]
    assert actions[0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert reel_manifest(report) == manifest
    assert active_manifest(report)["claim_generator_info"][0]["name"] == "Reel"


@pytest.mark.live
def test_a_downloaded_clip_verifies_and_still_plays_with_its_sound(signed_server):
    token = signed_server.issue_token("signed")
    path, manifest = signed_server.client().predict(prompt="a signed sunset", access_token=token, **SMALL,
                                                    api_name="/generate")
    check_signed(path, manifest)
    assert probe_video(path)["codec"] == "h264" and probe_audio(path)["codec"] == "aac"
    assert read_manifest(path) == manifest  # Reel's own tag survives signing
    kept = HistoryStore(signed_server.data_dir).list("signed")[0]
    assert kept.path.read_bytes() == Path(path).read_bytes()  # the history keeps the very file delivered


@pytest.mark.live
def test_storyboards_and_extensions_are_signed_too(signed_server):
    token = signed_server.issue_token("signed-director")
    client = signed_server.client()
    shots = json.dumps([{"prompt": "a kite", "seconds": 0.5}, {"prompt": "a kite falls", "seconds": 0.5}])
    path, manifest = client.predict(shots=shots, style="none", steps=2, resolution="square", access_token=token,
                                    api_name="/storyboard")
    check_signed(path, manifest)
    longer, extended = client.predict(video=handle_file(path), prompt="it lands", seconds=0.5, access_token=token,
                                      api_name="/extend")
    check_signed(longer, extended)


@pytest.mark.live
def test_the_page_says_whether_outputs_are_signed(signed_server, live_server):
    signed = httpx.get(signed_server.url + "config", timeout=10).text
    unsigned = httpx.get(live_server.url + "config", timeout=10).text
    assert "Every video is signed with C2PA content credentials" in signed
    assert "Videos are not signed (this Space has no C2PA certificate)" in unsigned


@pytest.mark.live
def test_an_unsigned_deployment_delivers_plain_files(live_server):
    token = live_server.issue_token("plain")
    path, _ = live_server.client().predict(prompt="an unsigned field", access_token=token, **SMALL,
                                           api_name="/generate")
    assert read_provenance(path) is None


@pytest.mark.process
@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        (self_signed_credentials(), "self-signed"),
        (None, "REEL_C2PA_KEY"),  # only the certificate
    ],
)
def test_a_bad_certificate_stops_the_app_at_start(tmp_path, credentials, message):
    good = ThrowawayCA.create().issue()
    environ = credentials.environ() if credentials else {"REEL_C2PA_CERT": good.cert_pem}
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "REEL_DATA_DIR": str(tmp_path / "data"),
           "GRADIO_ANALYTICS_ENABLED": "False", **environ}
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Reel cannot start: ") and message in last
    assert "Traceback" not in result.stderr and not (tmp_path / "data" / "models").exists()  # before any model
    key_lines = [line for line in (credentials or good).key_pem.splitlines() if "PRIVATE KEY" not in line]
    assert not any(line in result.stderr + result.stdout for line in key_lines)


def test_a_signing_failure_still_delivers_the_clip_unsigned_and_keeps_it(tmp_path, caplog):
    class FailingSigner:
        def sign_mp4(self, src, dst, clip_manifest, model_label, app_version):
            raise SigningFailed("could not sign reel.mp4", "the signing service is down")

    frames = np.full((9, 64, 64, 3), 90, dtype=np.uint8)
    manifest = {"model": "tiny-ltx2", "prompt": "a kept clip", "seed": 3, "num_frames": 9, "fps": 24}
    path = encode_mp4(frames, 24, tmp_path / "reel-clip.mp4", manifest, preset="ultrafast")
    before = path.read_bytes()
    runtime = SimpleNamespace(signer=FailingSigner(), history=HistoryStore(tmp_path / "data"))
    with pytest.warns(UserWarning, match="unsigned this time"):
        delivered = delivery.deliver(runtime, Grant("holder"), path, manifest, "clip", "Tiny LTX-2", Job())
    assert delivered == str(path) and path.read_bytes() == before  # the clip as encoded, not lost or cut
    assert "the signing service is down" in caplog.text  # the operator's log says why
    assert [item.prompt for item in runtime.history.list("holder")] == ["a kept clip"]
