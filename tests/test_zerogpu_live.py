"""ZeroGPU's edges, against live servers whose `spaces.GPU` is a stand-in (tests/stand_in_zerogpu) that schedules
as spaces 0.51.3 does on today's hardware (RTX PRO 6000 Blackwell: a `large` call's duration times 1.5, none on
`xlarge`): the duration Reel hands over is the request's own estimate divided by that factor, so what spaces
schedules covers the request and fits the cap; a request over the cap is refused before the queue with what fits
(or runs on xlarge where allowed); an xlarge plan's calls all go out as xlarge; ZeroGPU's own quota refusal reaches
the caller word for word with the clip refunded; and two holders' clips run side by side on ZeroGPU but one after
the other on a single dedicated GPU."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError, ValidationError

from access import TokenStore
from conftest import running_process
from model import CATALOG, KINDS, GpuPolicy, plan_request

STAND_IN = str(Path(__file__).resolve().parent / "stand_in_zerogpu")
SPEC = CATALOG["tiny-ltx"]
LARGE = "zerogpu-rtx-pro-6000"
DEFAULT = {"prompt": "a kite over the dunes", "seed": 3}
BIG = {**DEFAULT, "seconds": SPEC.max_seconds, "steps": SPEC.max_steps}


def budget(arguments, kind=LARGE, cap=10**6):
    request = plan_request(SPEC, arguments["prompt"], seed=arguments["seed"], seconds=arguments.get("seconds"),
                           steps=arguments.get("steps"))
    return GpuPolicy(kind=KINDS[kind], cap_seconds=cap).budget(SPEC, request)


def zerogpu_server(root, kind=LARGE, **env):
    """A process: the stand-in is a sitecustomize, which only a fresh interpreter loads."""
    return running_process(root, {"PYTHONPATH": STAND_IN, "REEL_GPU_KIND": kind, **env})


def asked_for(server) -> list[tuple[str, int, int]]:
    """(size, duration handed to spaces.GPU, what spaces schedules) per GPU call, from the stand-in's log."""
    return [(size, int(seconds), int(scheduled)) for size, seconds, scheduled in re.findall(
        r"stand-in ZeroGPU call: size=(\w+) duration=(\d+) scheduled=(\d+)", server.log_text())]


@pytest.fixture(scope="module")
def refusing_server(tmp_path_factory):
    """ZeroGPU says the visitor's quota is spent; the cap lets the default request through, not the big one."""
    cap = budget(DEFAULT).scheduled_seconds
    assert budget(BIG).scheduled_seconds > cap
    root = tmp_path_factory.mktemp("zerogpu-quota")
    with zerogpu_server(root, REEL_STAND_IN_ZEROGPU="quota", REEL_GPU_DURATION_CAP=str(cap)) as server:
        yield server


@pytest.fixture(scope="module")
def xlarge_server(tmp_path_factory):
    """The operator allows xlarge; the cap fits the big request only on a whole GPU."""
    cap = budget(BIG, f"{LARGE}-xlarge").scheduled_seconds
    assert budget(BIG).scheduled_seconds > cap >= budget(DEFAULT).scheduled_seconds
    root = tmp_path_factory.mktemp("zerogpu-xlarge")
    with zerogpu_server(root, REEL_ZEROGPU_XLARGE="1", REEL_GPU_DURATION_CAP=str(cap)) as server:
        yield server


@pytest.mark.live
@pytest.mark.process
def test_the_duration_after_spaces_factor_covers_the_request_and_fits_the_cap(refusing_server):
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
    expected = budget(DEFAULT)
    assert asked_for(server)[-2:] == [("large", expected.seconds, expected.scheduled_seconds)] * 2
    needed = GpuPolicy(kind=KINDS[LARGE]).needs(SPEC, plan_request(SPEC, DEFAULT["prompt"], seed=3))
    # spaces stretches the handed duration by 1.5: what it schedules covers the estimate, and no more than a second.
    assert expected.seconds < needed <= expected.scheduled_seconds < needed + 2
    assert expected.scheduled_seconds <= int(server.env["REEL_GPU_DURATION_CAP"])


@pytest.mark.live
@pytest.mark.process
def test_a_request_over_the_cap_is_refused_before_the_queue_with_what_fits(refusing_server):
    server = refusing_server
    token = server.issue_token("too-long")
    calls_before = len(asked_for(server))
    with pytest.raises(ValidationError) as refused:
        server.client().predict(**BIG, access_token=token, api_name="/generate")
    message = str(refused.value)
    cap = budget(DEFAULT).scheduled_seconds
    assert f"This request needs about {budget(BIG).scheduled_seconds} s of GPU time on ZeroGPU large" in message
    assert f"at most {cap} s. What fits:" in message and " steps" in message
    assert len(asked_for(server)) == calls_before  # no GPU call was made


@pytest.mark.live
@pytest.mark.process
def test_xlarge_takes_what_large_cannot_and_spaces_applies_no_factor_there(xlarge_server):
    server = xlarge_server
    token = server.issue_token("big-clips")
    client = server.client()
    _, small = client.predict(**DEFAULT, access_token=token, api_name="/generate")
    _, big = client.predict(**BIG, access_token=token, api_name="/generate")
    assert big["num_frames"] > small["num_frames"]
    on_large, on_xlarge = budget(DEFAULT), budget(BIG, f"{LARGE}-xlarge")
    assert asked_for(server) == [
        ("large", on_large.seconds, on_large.scheduled_seconds),
        ("xlarge", on_xlarge.seconds, on_xlarge.seconds),  # spaces applies no factor on xlarge
    ]


@pytest.mark.live
@pytest.mark.process
def test_zerogpus_quota_message_names_the_storyboard_shot_and_nothing_is_charged(refusing_server):
    server = refusing_server
    token = server.issue_token("quota-storyboard")
    shots = json.dumps([{"prompt": "a quiet harbour", "seconds": 1}, {"prompt": "boats leave", "seconds": 1}])
    with pytest.raises(AppError) as refused:
        server.client().predict(shots=shots, style="none", seed=2, access_token=token, api_name="/storyboard")
    message = str(refused.value)
    assert "Shot 1 of 2: You have exceeded your free ZeroGPU quota (" in message
    assert TokenStore(server.data_dir / "access.sqlite3").used_today("quota-storyboard") == (0, 0.0, 0)


@pytest.mark.live
@pytest.mark.process
def test_an_xlarge_plans_calls_all_go_out_as_xlarge_and_the_footer_says_visitors_pay_twice(tmp_path):
    with zerogpu_server(tmp_path, kind=f"{LARGE}-xlarge") as server:
        token = server.issue_token("whole-gpu")
        server.client().predict(**DEFAULT, access_token=token, api_name="/generate")
        expected = budget(DEFAULT, f"{LARGE}-xlarge")
        assert asked_for(server) == [("xlarge", expected.seconds, expected.seconds)]
        import httpx

        page = httpx.get(server.url, timeout=30).text
        assert f"asks for about {expected.quota_seconds} s of your daily GPU quota (xlarge: twice" in page
        assert "ZeroGPU xlarge (a whole NVIDIA RTX PRO 6000 Blackwell, 96 GB, 2x quota)" in page


def _two_holders_at_once(server) -> list[int]:
    """Two holders each start a clip at the same moment; how many GPU calls each saw inside at once."""
    tokens = [server.issue_token(f"holder-{n}") for n in range(2)]

    def make(token):
        return server.client().predict(**DEFAULT, access_token=token, api_name="/generate")

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(make, token) for token in tokens]:
            future.result(timeout=180)
    return [int(n) for n in re.findall(r"stand-in ZeroGPU call \d+: (\d+) inside at once", server.log_text())]


@pytest.mark.live
@pytest.mark.process
def test_two_holders_clips_run_side_by_side_on_zerogpu(tmp_path):
    """ZeroGPU gives every call its own GPU: the default concurrency lets both calls in together."""
    with zerogpu_server(tmp_path, REEL_STAND_IN_ZEROGPU="meet-2") as server:
        assert _two_holders_at_once(server) == [2, 2]


@pytest.mark.live
@pytest.mark.process
def test_two_holders_clips_take_turns_on_a_single_dedicated_gpu(tmp_path):
    """One GPU holds one call's activations: the second call starts only when the first has left."""
    with zerogpu_server(tmp_path, kind="h100", REEL_STAND_IN_ZEROGPU="meet-2") as server:
        assert _two_holders_at_once(server) == [1, 1]


class _PlannedEngine:
    """Stands in for a loaded full-size model behind the GPU door: what matters here is the size of the call."""

    def generate(self, request, progress=None):
        return f"{request.num_frames} frames"


def test_a_model_whose_plan_needs_xlarge_has_every_call_go_out_as_xlarge(capsys):
    """The chain the runtime builds, in process: a real entry whose memory plan needs xlarge, the policy on the
    plan's size, and ui/gpu.py's door (loaded afresh over the stand-in `spaces.GPU`) asking spaces for xlarge with
    the duration unstretched."""
    import importlib.util

    import spaces

    from model import check_memory

    spec = CATALOG["ltx-video-0.9.8-distilled"]
    plan = check_memory([spec], KINDS[LARGE])
    assert plan.kind.key == f"{LARGE}-xlarge" and plan.xlarge_reason
    original = spaces.GPU
    try:
        stand_in = importlib.util.spec_from_file_location("stand_in_spaces", Path(STAND_IN) / "sitecustomize.py")
        stand_in.loader.exec_module(importlib.util.module_from_spec(stand_in))  # swaps spaces.GPU
        door_file = Path(STAND_IN).parent.parent / "ui" / "gpu.py"
        door_spec = importlib.util.spec_from_file_location("gpu_door_under_test", door_file)
        door = importlib.util.module_from_spec(door_spec)
        door_spec.loader.exec_module(door)
    finally:
        spaces.GPU = original
    door.serve({spec.key: _PlannedEngine()})
    request = plan_request(spec, "a lighthouse at dusk")
    budget = GpuPolicy(kind=plan.kind).budget(spec, request)
    assert door.generate(spec.key, request, budget) == f"{request.num_frames} frames"
    line = re.findall(r"stand-in ZeroGPU call: .*", capsys.readouterr().out)[-1]
    assert line == f"stand-in ZeroGPU call: size=xlarge duration={budget.seconds} scheduled={budget.seconds}"
    assert budget.quota_seconds == 2 * budget.seconds
