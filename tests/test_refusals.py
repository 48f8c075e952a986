"""ui/refusals.py: a validator's refusal is Reel's sentence for @gradio/client, and Gradio's own list for every
other caller. Against a stand-in for the queue's route, answering as Gradio 6.31 does (tests/test_gradio_internals.py
holds that answer to the real one); the Node client itself is tests/test_js_client_live.py's."""

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.refusals import QUEUE_JOIN_ROUTE, refusal_text, refusals_as_text

TOKEN_REFUSED = "That access token is not valid, or it has been revoked."
SECONDS_REFUSED = "This model makes clips of at most 5 seconds."


def entry(name: str, message: str = "") -> dict:
    """One input's answer as the queue gives it (`gr.validate` and its parameter's name)."""
    return {"__type__": "validate", "is_valid": not message, "message": message, "parameter_name": name}


REFUSED = [entry("prompt"), entry("seconds", SECONDS_REFUSED), entry("access_token", TOKEN_REFUSED)]
NODE = {"x-gradio-user": "api", "sec-fetch-mode": "cors", "user-agent": "node"}
PYTHON = {"x-gradio-user": "api", "user-agent": "gradio_client/2.7.2; hf_hub/2.4.0; python/3.11.7"}
PAGE = {"x-gradio-user": "app", "sec-fetch-mode": "cors", "user-agent": "Mozilla/5.0"}
MCP = {"x-gradio-user": "mcp", "sec-fetch-mode": "cors", "user-agent": "gradio_client/2.7.2"}


@pytest.fixture
def queue():
    """An app whose queue route answers what each test's `answer` holds."""
    answer = {"status": 422, "body": {"detail": REFUSED}}

    async def join(request):
        return JSONResponse(answer["body"], status_code=answer["status"])

    routes = [Route(QUEUE_JOIN_ROUTE, join, methods=["POST"]), Route("/gradio_api/other", join, methods=["POST"])]
    app = Starlette(routes=routes, middleware=[refusals_as_text()])
    with TestClient(app) as client:
        yield client, answer


def test_the_javascript_client_gets_the_refused_inputs_messages_as_one_string(queue):
    client, _ = queue
    refused = client.post(QUEUE_JOIN_ROUTE, json={}, headers=NODE)
    assert refused.status_code == 422
    assert refused.json() == {"detail": f"{SECONDS_REFUSED} {TOKEN_REFUSED}"}
    assert int(refused.headers["content-length"]) == len(refused.content)
    assert refused.headers["content-type"] == "application/json"


@pytest.mark.parametrize("headers", [PYTHON, PAGE, MCP, {}], ids=["gradio_client", "page", "mcp", "curl"])
def test_every_other_caller_gets_gradios_list(queue, headers):
    client, _ = queue
    refused = client.post(QUEUE_JOIN_ROUTE, json={}, headers=headers)
    assert refused.status_code == 422 and refused.json() == {"detail": REFUSED}


@pytest.mark.parametrize("status, body", [
    (200, {"event_id": "abc"}),
    (503, {"detail": "Queue is full."}),
    (422, {"detail": [{"type": "missing", "loc": ["body", "data"], "msg": "Field required"}]}),  # FastAPI's own
    (422, {"detail": [entry("prompt")]}),
])
def test_anything_but_a_validators_refusal_reaches_the_javascript_client_as_it_was(queue, status, body):
    client, answer = queue
    answer.update(status=status, body=body)
    response = client.post(QUEUE_JOIN_ROUTE, json={}, headers=NODE)
    assert (response.status_code, response.json()) == (status, body)


def test_other_routes_are_left_alone(queue):
    client, _ = queue
    assert client.post("/gradio_api/other", json={}, headers=NODE).json() == {"detail": REFUSED}


def test_the_text_joins_the_messages_in_the_inputs_order():
    assert refusal_text([TOKEN_REFUSED]) == TOKEN_REFUSED
    assert refusal_text([" A.", "", "B.\n"]) == "A. B."
    assert refusal_text([]) == ""
