"""Client identity behind a proxy, against a live server with REEL_TRUSTED_PROXY_HOPS=1.

The tests play the proxy: each request carries the X-Forwarded-For a proxy would pass on, whatever the client
sent first and the address the proxy saw last. uvicorn is told to trust no peer (FORWARDED_ALLOW_IPS empty), as
on a Space where the proxy is not on loopback, so the peer stays 127.0.0.1 and only Reel's own reading of the
header decides who the client is. Refusals go through /history, which admits like every endpoint but loads no
model, so the scenarios take seconds."""

import subprocess
import sys
import time

import pytest
from gradio_client.exceptions import AppError, ValidationError

from access import INVALID_TOKEN_MESSAGE, AuditLog, TokenStore
from bench.live_server import REPO_ROOT
from conftest import running_server

pytestmark = pytest.mark.live

LOCKED = "Too many failed attempts; try again in 10 minutes."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxy-server")
    with running_server(root, {"REEL_TRUSTED_PROXY_HOPS": "1", "FORWARDED_ALLOW_IPS": ""}) as started:
        yield started


def through_proxy(server, forwarded_for: str):
    """A client whose requests reach Reel with this X-Forwarded-For, as the proxy passes it on."""
    return server.client(headers={"X-Forwarded-For": forwarded_for})


def refusal(client, token) -> str:
    with pytest.raises(AppError) as refused:
        client.predict(access_token=token, api_name="/history")
    return str(refused.value)


def fail_twenty_times(client) -> None:
    for attempt in range(20):
        assert INVALID_TOKEN_MESSAGE in refusal(client, "reel_" + f"{attempt:049d}")


def audited(server, outcome: str) -> list[str]:
    """The client address of each audit row with this outcome."""
    entries = AuditLog(TokenStore(server.data_dir / "access.sqlite3")).recent(500)
    return [entry.client for entry in entries if entry.outcome == outcome]


def denied_once_written(server, client: str, count: int) -> list[str]:
    """The clients of the "denied" rows once `client` has `count` of them (or after 30 s): the app writes refusal
    rows just behind the answer (access.refusals), in order, so every earlier row is written by then too."""
    deadline = time.monotonic() + 30
    while (clients := audited(server, "denied")).count(client) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return clients


def test_a_locked_out_client_stays_locked_out_when_it_forges_a_first_hop(server):
    good = server.issue_token("forger")
    attacker = "198.51.100.66"
    fail_twenty_times(through_proxy(server, attacker))  # sent no header; the proxy added the address it saw
    for forged in ("203.0.113.50", "192.0.2.1, 192.0.2.2", "not-an-address", good):
        assert LOCKED in refusal(through_proxy(server, f"{forged}, {attacker}"), good)
    with pytest.raises(ValidationError, match=LOCKED):
        through_proxy(server, f"203.0.113.51, {attacker}").predict(
            prompt="a kite", seconds=0.5, steps=1, access_token=good, api_name="/generate")
    denied = denied_once_written(server, attacker, 20)
    assert denied.count(attacker) == 20 and "127.0.0.1" not in denied


def test_a_forged_first_hop_cannot_get_another_client_locked_out(server):
    victim, attacker = "203.0.113.7", "198.51.100.77"
    victims_token, attackers_token = server.issue_token("victim"), server.issue_token("framer")
    fail_twenty_times(through_proxy(server, f"{victim}, {attacker}"))
    assert through_proxy(server, victim).predict(access_token=victims_token, api_name="/history")["items"] == []
    assert LOCKED in refusal(through_proxy(server, attacker), attackers_token)
    denied = denied_once_written(server, attacker, 20)
    assert denied.count(attacker) == 20 and victim not in denied


@pytest.mark.process
def test_a_bad_trusted_proxy_hops_stops_the_app_at_start(tmp_path):
    value = "two"  # the other bad values are refused by the same parser (test_access_lockout.py)
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "REEL_DATA_DIR": str(tmp_path / "data"),
           "GRADIO_ANALYTICS_ENABLED": "False", "REEL_TRUSTED_PROXY_HOPS": value}
    result = subprocess.run([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"Reel cannot start: REEL_TRUSTED_PROXY_HOPS must be a whole number, 0 or more (proxies in front " \
                   f"of Reel that append to X-Forwarded-For), not {value!r}"
    assert "Traceback" not in result.stderr and not (tmp_path / "data" / "models").exists()  # before any model
