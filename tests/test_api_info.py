"""What `Client.view_api()` tells a caller matches what the server accepts: each parameter's type and whether it
may be left out, plain output names, and a docstring for every endpoint (the API page and the MCP tools read them).
"""

import inspect

import pytest
from gradio_client.exceptions import ValidationError
from gradio_client.utils import sanitize_parameter_names

from ui.studio.admin import AdminActions
from ui.studio.clips import Clips
from ui.studio.history_actions import HistoryActions
from ui.studio.reproductions import Reproductions
from ui.studio.storyboards import Storyboards

pytestmark = pytest.mark.live

FILE = "filepath"
OBJECT = "dict(str, Any)"
RESOLUTION = "Literal['landscape', 'portrait', 'square']"
TOKEN = ("access_token", "str", False)

# endpoint: ([(parameter, python type, required)], [output names]); the live_server serves tiny-ltx alone.
EXPECTED = {
    "/generate": (
        [("prompt", "str", True), ("negative_prompt", "str", False), ("seed", "int", False),
         ("seconds", "float", False), ("resolution", RESOLUTION, False), ("steps", "int", False), TOKEN,
         ("image", FILE, False), ("model", "Literal['tiny-ltx']", False), ("audio", "bool", False),
         ("lora", "Literal['none']", False), ("lora_scale", "float", False),
         ("quality", "Literal['standard']", False), ("enhance_prompt", "bool", False),
         ("smooth", "bool", False)],
        ["video", "manifest"],
    ),
    "/storyboard": (
        [("shots", "str", False), ("style", "str", False), ("reference", FILE, False),
         ("keyframes", f"list[{FILE}]", False), ("seed", "int", False), ("resolution", RESOLUTION, False),
         ("steps", "int", False), ("model", "Literal['tiny-ltx']", False), TOKEN, ("audio", "bool", False),
         ("lora", "Literal['none']", False), ("lora_scale", "float", False),
         ("quality", "Literal['standard']", False)],
        ["video", "manifest"],
    ),
    "/reproduce": (
        [("manifest", "str", False), ("video", FILE, False), ("image", FILE, False),
         ("keyframes", f"list[{FILE}]", False), TOKEN],
        ["video", "manifest"],
    ),
    "/extend": (
        [("video", FILE, True), ("prompt", "str", True), ("seconds", "float", False),
         ("negative_prompt", "str", False), ("seed", "int", False), TOKEN],
        ["video", "manifest"],
    ),
    "/history": ([TOKEN, ("limit", "int", False), ("before", "str", False)], ["history"]),
    "/history_video": ([TOKEN, ("id", "str", True)], ["video"]),
    "/history_delete": ([TOKEN, ("id", "str", True)], ["deleted"]),
}
ADMIN_TOKEN = ("admin_token", "str", False)
ADMIN_EXPECTED = {
    "/admin_issue": ([("label", "str", True), ("daily_limit", "int", False), ("daily_seconds", "float", False),
                      ("expires_in", "str", False), ADMIN_TOKEN], ["answer"]),
    "/admin_limits": ([("label", "str", True), ("daily_limit", "int", False), ("daily_seconds", "float", False),
                       ("expires_in", "str", False), ADMIN_TOKEN], ["answer"]),
    "/admin_tokens": ([ADMIN_TOKEN], ["answer"]),
    "/admin_revoke": ([("label", "str", True), ADMIN_TOKEN], ["answer"]),
    "/admin_usage": ([("days", "int", False), ADMIN_TOKEN], ["answer"]),
    "/admin_audit": ([("limit", "int", False), ADMIN_TOKEN], ["answer"]),
}
OUTPUT_TYPES = {"video": FILE, "manifest": OBJECT, "history": OBJECT, "deleted": OBJECT, "answer": OBJECT}


@pytest.fixture(scope="module")
def api(live_server):
    return live_server.client().view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_every_endpoint_states_its_parameters_types_and_plain_output_names(api):
    assert set(api) == set(EXPECTED) | set(ADMIN_EXPECTED)
    for endpoint, (parameters, outputs) in {**EXPECTED, **ADMIN_EXPECTED}.items():
        shown = [
            (item["parameter_name"], item["python_type"]["type"], not item["parameter_has_default"])
            for item in api[endpoint]["parameters"]
        ]
        assert shown == parameters, endpoint
        returns = api[endpoint]["returns"]
        assert [sanitize_parameter_names(item["label"]) for item in returns] == outputs, endpoint
        assert [item["python_type"]["type"] for item in returns] == [OUTPUT_TYPES[name] for name in outputs]


def test_the_token_says_it_is_needed_and_pictures_say_web_addresses_are_refused(api):
    for endpoint in EXPECTED:
        token = {item["parameter_name"]: item for item in api[endpoint]["parameters"]}["access_token"]
        description = token["python_type"]["description"]
        assert description.startswith("required:") and "Authorization: Bearer" in description
    image = {item["parameter_name"]: item for item in api["/generate"]["parameters"]}["image"]
    assert "web addresses are refused" in image["python_type"]["description"]


@pytest.mark.parametrize(
    "handler",
    [Clips.generate, Storyboards.storyboard, Reproductions.reproduce, Reproductions.extend,
     HistoryActions.history, HistoryActions.history_video, HistoryActions.history_delete,
     AdminActions.admin_issue, AdminActions.admin_limits, AdminActions.admin_tokens, AdminActions.admin_revoke, AdminActions.admin_usage,
     AdminActions.admin_audit],
)
def test_every_endpoint_has_a_docstring_for_each_parameter_on_one_line(handler, api):
    """gradio reads an Args entry's first line only: each parameter's whole description is on it."""
    doc = inspect.getdoc(handler)
    summary, args = doc.split("\nArgs:\n")
    assert len(summary) > 150, "says what it does, what it costs and what it returns"
    described = {}
    for line in args.splitlines():
        if line.startswith("    ") and not line.startswith("     "):
            name, _, text = line.strip().partition(": ")
            described[name] = text
        else:
            assert not line.strip(), f"an Args entry continues on a second line: {line!r}"
    endpoint = "/" + handler.__name__
    assert list(described) == [item["parameter_name"] for item in api[endpoint]["parameters"]]
    assert all(len(text) > 15 for text in described.values())


def test_a_whole_number_parameter_refuses_a_fraction_with_reels_message(live_server):
    token = live_server.issue_token("api-info")
    client = live_server.client()
    with pytest.raises(ValidationError, match="Steps must be a whole number"):
        client.predict(prompt="a boat", steps=7.5, access_token=token, api_name="/generate")
    with pytest.raises(Exception, match="limit must be a whole number from 1 to 100"):
        client.predict(access_token=token, limit=2.5, api_name="/history")
