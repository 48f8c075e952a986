"""ZeroGPU's edges, against live servers whose `spaces.GPU` is a stand-in (tests/stand_in_zerogpu): the duration
asked for is the request's own estimate, a request that needs more than the cap is refused before the queue with
what fits (or runs on xlarge where allowed), and ZeroGPU's own quota refusal reaches the caller word for word
with the clip refunded."""

import math
import re
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError, ValidationError

from access import TokenStore
from conftest import running_server
from model import CATALOG, KINDS, GpuPolicy, plan_request

STAND_IN = str(Path(__file__).resolve().parent / "stand_in_zerogpu")
SPEC = CATALOG["tiny-ltx"]
POLICY = GpuPolicy(kind=KINDS["zerogpu-h200"])
DEFAULT = {"prompt": "a kite over the dunes", "seed": 3}
BIG = {**DEFAULT, "seconds": SPEC.max_seconds, "steps": SPEC.max_steps}


def needs(arguments, kind="zerogpu-h200"):
    request = plan_request(SPEC, arguments["prompt"], seed=arguments["seed"], seconds=arguments.get("seconds"),
                           steps=arguments.get("steps"))
    return GpuPolicy(kind=KINDS[kind]).needs(SPEC, request)


def zerogpu_server(root, **env):
    return running_server(root, {"PYTHONPATH": STAND_IN, "REEL_GPU_KIND": "zerogpu-h200", **env})


def asked_for(server) -> list[tuple[str, int]]:
    return [(size, int(seconds)) for size, seconds in
            re.findall(r"stand-in ZeroGPU call: size=(\w+) duration=(\d+)", server.log_text())]


@pytest.fixture(scope="module")
def refusing_server(tmp_path_factory):
    """ZeroGPU says the visitor's quota is spent; the cap lets the default request through, not the big one."""
    cap = math.ceil(needs(DEFAULT))
    assert needs(BIG) > cap
    root = tmp_path_factory.mktemp("zerogpu-quota")
    with zerogpu_server(root, REEL_STAND_IN_ZEROGPU="quota", REEL_GPU_DURATION_CAP=str(cap)) as server:
        yield server


@pytest.fixture(scope="module")
def xlarge_server(tmp_path_factory):
    """The operator allows xlarge; the cap fits the big request only on a whole GPU."""
    cap = math.ceil(needs(BIG, "zerogpu-h200-xlarge"))
    assert needs(BIG) > cap >= needs(DEFAULT)
    root = tmp_path_factory.mktemp("zerogpu-xlarge")
    with zerogpu_server(root, REEL_ZEROGPU_XLARGE="1", REEL_GPU_DURATION_CAP=str(cap)) as server:
        yield server


def test_zerogpus_quota_message_reaches_the_caller_and_the_clip_is_refunded(refusing_server):
    server = refusing_server
    token = server.issue_token("quota-visitor", "--daily-limit", "1")
    client = server.client()
    for _ in range(2):  # a second try meets ZeroGPU again, not Reel's "daily limit reached": the first was refunded
        with pytest.raises(AppError) as refused:
            client.predict(**DEFAULT, access_token=token, api_name="/generate")
        message = str(refused.value)
        assert "You have exceeded your free ZeroGPU quota (" in message and "Try again in 0:41:12." in message
        assert "Generation failed on the server" not in message
    assert TokenStore(server.data_dir / "access.sqlite3").used_today("quota-visitor") == (0, 0.0, 0)
    assert asked_for(server) == [("large", math.ceil(needs(DEFAULT)))] * 2


def test_a_request_over_the_cap_is_refused_before_the_queue_with_what_fits(refusing_server):
    server = refusing_server
    token = server.issue_token("too-long")
    calls_before = len(asked_for(server))
    with pytest.raises(ValidationError) as refused:
        server.client().predict(**BIG, access_token=token, api_name="/generate")
    message = str(refused.value)
    cap = math.ceil(needs(DEFAULT))
    assert f"This request needs about {math.ceil(needs(BIG))} s of GPU time" in message
    assert f"at most {cap} s. What fits:" in message and " steps" in message
    assert len(asked_for(server)) == calls_before  # no GPU call was made


def test_xlarge_takes_what_the_standard_size_cannot_and_asks_for_its_own_estimate(xlarge_server):
    server = xlarge_server
    token = server.issue_token("big-clips")
    client = server.client()
    _, small = client.predict(**DEFAULT, access_token=token, api_name="/generate")
    _, big = client.predict(**BIG, access_token=token, api_name="/generate")
    assert big["num_frames"] > small["num_frames"]
    assert asked_for(server) == [
        ("large", math.ceil(needs(DEFAULT))),
        ("xlarge", math.ceil(needs(BIG, "zerogpu-h200-xlarge"))),
    ]


def test_zerogpus_quota_message_names_the_storyboard_shot_and_nothing_is_charged(refusing_server):
    import json

    server = refusing_server
    token = server.issue_token("quota-storyboard")
    shots = json.dumps([{"prompt": "a quiet harbour", "seconds": 1}, {"prompt": "boats leave", "seconds": 1}])
    with pytest.raises(AppError) as refused:
        server.client().predict(shots=shots, style="none", seed=2, access_token=token, api_name="/storyboard")
    message = str(refused.value)
    assert "Shot 1 of 2: You have exceeded your free ZeroGPU quota (" in message
    assert TokenStore(server.data_dir / "access.sqlite3").used_today("quota-storyboard") == (0, 0.0, 0)
