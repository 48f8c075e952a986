"""Rejections while a clip renders: wrong tokens sent at a steady rate to a live server on the CPU default model,
timed against the clip's own time. The event loop answers them; the render must not starve it.

The wrong-token calls are the request gradio_client makes (one POST to the queue's join route, answered 422 with
the refusal), sent over one kept-alive connection, so what is timed is the server's answer: gradio_client opens a
new HTTP client for every call, and on a 2-core machine rendering a clip that set-up alone took most of a call."""

from __future__ import annotations

import ipaddress
import secrets
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from access import INVALID_TOKEN_MESSAGE
from access.tokens import new_token

from .live_server import start_server
from .timing import p95

PROMPT = "a paper lantern drifting over a night market"
# As `make run` starts Reel on a machine without a GPU: no model named, so the CPU default (tiny LTX-2).
CPU_DEFAULT_ENV = {"REEL_MODEL": "", "REEL_MODELS": ""}
# One trusted proxy hop: each rejecter identity is a client of its own for the lockout.
PROXIED_ENV = {"REEL_TRUSTED_PROXY_HOPS": "1", "FORWARDED_ALLOW_IPS": ""}
LOCKOUT_SAFE_CALLS = 15  # per client identity: the lockout allows 20 failures in 10 minutes
FIRST_ADDRESS = ipaddress.ip_address("198.18.0.1")  # 198.18.0.0/15, the range set aside for benchmarks


def generate_join_body(url: str, token: str) -> dict:
    """The body gradio_client posts to join the queue for /generate: the endpoint's defaults (from the public
    API description), with the bench prompt and `token`."""
    info = httpx.get(url + "gradio_api/info", timeout=30).json()["named_endpoints"]["/generate"]["parameters"]
    values = {parameter["parameter_name"]: parameter["parameter_default"] for parameter in info}
    values.update(prompt=PROMPT, access_token=token)
    config = httpx.get(url + "config", timeout=30).json()
    fn_index = next(dep["id"] for dep in config["dependencies"] if dep.get("api_name") == "generate")
    return {"data": list(values.values()), "fn_index": fn_index, "trigger_id": None, "event_data": None}


@dataclass(frozen=True)
class Call:
    started: float
    seconds: float


class SteadyRejecter:
    """From its own thread, one wrong-token call every `interval` seconds (or back to back, when a call takes
    longer), each timed, until stopped. Every call must come back as the invalid-token refusal. Client identities
    are numbered from `first_client`, a new one every LOCKOUT_SAFE_CALLS calls: give each rejecter on a server
    its own range. Each identity keeps one Gradio session, as a gradio_client or a browser tab does (a session
    Gradio has not seen costs it about 10 ms and 0.2 MB more: docs/performance.md)."""

    def __init__(self, server, interval: float, first_client: int = 0):
        self.server = server
        self.first_client = first_client
        self.interval = interval
        self.calls: list[Call] = []
        self.body = generate_join_body(server.url, new_token())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error: str | None = None

    def _run(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=60) as http:
            next_at = time.perf_counter()
            while not self._stop.is_set():
                self._stop.wait(max(0.0, next_at - time.perf_counter()))
                number = len(self.calls)
                client = self.first_client + number // LOCKOUT_SAFE_CALLS
                if number % LOCKOUT_SAFE_CALLS == 0:
                    session = secrets.token_hex(6)
                started = time.perf_counter()
                response = http.post(
                    "gradio_api/queue/join",
                    json={**self.body, "session_hash": session},
                    headers={"X-Forwarded-For": str(FIRST_ADDRESS + client)},
                )
                seconds = time.perf_counter() - started
                if response.status_code != 422 or INVALID_TOKEN_MESSAGE not in response.text:
                    self.error = f"a wrong token got HTTP {response.status_code}: {response.text[:2000]}"
                    return
                self.calls.append(Call(started, seconds))
                next_at = max(started + self.interval, time.perf_counter())

    def __enter__(self) -> "SteadyRejecter":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=120)
        if self.error:
            raise RuntimeError(self.error)


def measure_rejections_during_clips(server, token: str, clips: int, interval: float) -> dict:
    """Default clips through gradio_client, in turns alone and with wrong-token calls running throughout (after
    a warm-up), so the ratio divides by the clip's own time, not by a clip the rejections slowed down. A call
    counts when it started and ended while a clip's call was in flight."""
    client = server.client()

    def clip() -> tuple[float, float]:
        started = time.perf_counter()
        client.predict(prompt=PROMPT, access_token=token, api_name="/generate")
        return started, time.perf_counter()

    clip()  # warm-up: first-call allocations
    alone, loaded, during = [], [], []
    for number in range(clips):
        start, end = clip()
        alone.append(end - start)
        with SteadyRejecter(server, interval, first_client=100 * number) as rejecter:
            time.sleep(interval)  # the rejecter's first call (a new connection) is out of the way
            start, end = clip()
        loaded.append(end - start)
        during += [call.seconds for call in rejecter.calls if start <= call.started <= end - call.seconds]
    clip_seconds = statistics.median(alone)
    return {
        "load_clip_seconds": clip_seconds,
        "load_clip_with_rejections_over_alone": statistics.median(loaded) / clip_seconds,
        "load_reject_p50_ms": statistics.median(during) * 1000,
        "load_reject_p95_ms": p95(during) * 1000,
        "load_reject_calls": len(during),
        "reject_p95_over_clip": p95(during) / clip_seconds,
    }


def measure_load(clips: int = 8, interval: float = 0.1) -> dict:
    """The whole measurement on a server of its own, as `make run` starts it on CPU, behind one trusted proxy."""
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder), {**CPU_DEFAULT_ENV, **PROXIED_ENV})
        try:
            token = server.issue_token("load")
            return measure_rejections_during_clips(server, token, clips, interval)
        finally:
            server.stop()
