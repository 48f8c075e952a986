"""The Admin tab and the `/admin_*` endpoints, attacked from outside: an operator with no shell issues, lists and
revokes tokens and reads use and the audit log; anyone else is answered exactly as a wrong access token is."""

import secrets

import pytest
from gradio_client.exceptions import AppError, ValidationError

from access import INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE
from conftest import running_server
from test_browser import GENERATION_TIMEOUT_MS, fill_and_generate, open_details, opened_page

pytestmark = pytest.mark.live

ADMIN_TOKEN = secrets.token_urlsafe(32)  # 43 characters, as the docs suggest making one


def quick(client, token, **kwargs):
    arguments = {"prompt": "a chalkboard at dawn", "seconds": 0.5, "steps": 1, "access_token": token, **kwargs}
    return client.predict(**arguments, api_name="/generate")


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("admin-server"), {"REEL_ADMIN_TOKEN": ADMIN_TOKEN}) as server:
        server.issued_tokens.append(ADMIN_TOKEN)  # checked, like every issued token, to be on no disk or log
        yield server


def test_an_admin_script_issues_a_token_that_generates_then_lists_counts_audits_and_revokes_it(admin_server):
    client = admin_server.client()
    issued = client.predict(label="class-7a", daily_limit=2, daily_seconds=0, expires_in="7d",
                            admin_token=ADMIN_TOKEN, api_name="/admin_issue")
    token = issued["token"]
    admin_server.issued_tokens.append(token)
    assert (issued["label"], issued["daily_limit"], issued["daily_seconds"]) == ("class-7a", 2, None)
    assert issued["expires_at"] and token.startswith("reel_")
    quick(client, token)

    listed = client.predict(admin_token=ADMIN_TOKEN, api_name="/admin_tokens")["tokens"]
    [row] = [row for row in listed if row["label"] == "class-7a"]
    assert (row["status"], row["clips_today"], row["pending_today"]) == ("active", 1, 0)
    assert token not in str(listed)
    usage = client.predict(days=1, admin_token=ADMIN_TOKEN, api_name="/admin_usage")["usage"]
    assert [(entry["label"], entry["clips"]) for entry in usage if entry["label"] == "class-7a"] == [("class-7a", 1)]
    limited = client.predict(label="class-7a", daily_limit=1, daily_seconds=0, expires_in="", admin_token=ADMIN_TOKEN,
                             api_name="/admin_limits")
    assert (limited["daily_limit"], limited["expires_at"]) == (1, None)
    with pytest.raises(ValidationError, match="used its 1 clip"):
        quick(client, token)  # the new limit applies at once, and today's clip counts

    assert client.predict(label="class-7a", admin_token=ADMIN_TOKEN, api_name="/admin_revoke") == {
        "revoked": "class-7a"}
    with pytest.raises(ValidationError) as refused:
        quick(client, token)
    assert INVALID_TOKEN_MESSAGE in str(refused.value), "revoked through the API: refused at once"
    with pytest.raises(AppError, match="No active token has that label"):
        client.predict(label="class-7a", admin_token=ADMIN_TOKEN, api_name="/admin_revoke")

    entries = client.predict(limit=20, admin_token=ADMIN_TOKEN, api_name="/admin_audit")["entries"]
    mine = [(entry["outcome"], entry["subject"]) for entry in entries
            if entry["subject"] in ("class-7a", "admin")]
    assert mine[:6] == [("admin_revoke", "class-7a"), ("admin_limits", "class-7a"), ("admin_usage", "admin"),
                        ("admin_tokens", "admin"), ("ok", "class-7a"), ("admin_issue", "class-7a")]
    assert token not in admin_server.log_text() and ADMIN_TOKEN not in admin_server.log_text()


def test_a_bad_issue_is_refused_with_a_clear_message_and_issues_nothing(admin_server):
    client = admin_server.client()
    for arguments, message in (
        ({"label": "no spaces allowed"}, "label"),
        ({"label": "ok-label", "daily_limit": 1.5}, "daily_limit must be a whole number"),
        ({"label": "ok-label", "expires_in": "soon"}, "expires_in must be a length of time"),
    ):
        with pytest.raises(AppError, match=message):
            client.predict(**{"daily_limit": 0, "daily_seconds": 0, "expires_in": "", **arguments},
                           admin_token=ADMIN_TOKEN, api_name="/admin_issue")
    listed = client.predict(admin_token=ADMIN_TOKEN, api_name="/admin_tokens")["tokens"]
    assert all(row["label"] != "ok-label" for row in listed)


ENDPOINTS = [
    ("/admin_issue", {"label": "intruder", "daily_limit": 0, "daily_seconds": 0, "expires_in": ""}),
    ("/admin_limits", {"label": "just-a-holder", "daily_limit": 99, "daily_seconds": 0, "expires_in": ""}),
    ("/admin_tokens", {}),
    ("/admin_revoke", {"label": "class-7a"}),
    ("/admin_usage", {"days": 1}),
    ("/admin_audit", {"limit": 10}),
]


def test_anyone_else_gets_the_wrong_token_answer_from_every_admin_endpoint(tmp_path):
    """Its own server: the refusals count towards this client's lockout, as wrong tokens do."""
    with running_server(tmp_path, {"REEL_ADMIN_TOKEN": ADMIN_TOKEN}) as server:
        server.issued_tokens.append(ADMIN_TOKEN)
        holder = server.issue_token("just-a-holder")
        client = server.client()
        answers = {}
        for wrong_token in ("", "reel_" + "0" * 49):  # what a missing and a wrong token get from /history
            with pytest.raises(AppError) as wrong:
                client.predict(access_token=wrong_token, api_name="/history")
            answers[bool(wrong_token)] = str(wrong.value)
        assert answers == {False: MISSING_TOKEN_MESSAGE, True: INVALID_TOKEN_MESSAGE}
        for presented in ("", holder, ADMIN_TOKEN[:-1]):  # nothing, a holder's own token, nearly the admin token
            for api_name, arguments in ENDPOINTS[: 2 if presented else 6]:
                with pytest.raises(AppError) as refused:
                    client.predict(**arguments, admin_token=presented, api_name=api_name)
                assert str(refused.value) == answers[bool(presented)], api_name
        listed = client.predict(admin_token=ADMIN_TOKEN, api_name="/admin_tokens")["tokens"]
        assert [(row["label"], row["daily_limit"]) for row in listed] == [("just-a-holder", None)], "nothing changed"


@pytest.mark.browser
def test_the_admin_tab_appears_for_the_admin_token_issues_a_token_that_generates_and_revokes_it(
        browser, admin_server):
    with opened_page(browser, admin_server.url) as page:
        assert not page.get_by_role("tab", name="Admin").is_visible(), "hidden from visitors"
        page.fill("#access-token input", ADMIN_TOKEN)
        page.get_by_role("tab", name="Admin").click()
        page.fill("#admin-label textarea", "phone-issued")
        page.click("#admin-issue")
        page.wait_for_function("() => document.querySelector('#admin-issued textarea, #admin-issued input')"
                               "?.value.startsWith('reel_')", timeout=30_000)
        token = page.input_value("#admin-issued textarea, #admin-issued input")
        admin_server.issued_tokens.append(token)
        shows = "([text]) => document.querySelector('#admin-tokens')?.innerText.includes(text)"
        page.wait_for_function(shows, arg=["phone-issued"], timeout=30_000)
        page.get_by_text("Export the tokens").click()
        page.click("#admin-export")
        page.wait_for_function("() => document.querySelector('#admin-exported textarea, #admin-exported input')"
                               "?.value.startsWith('reel-tokens-v1:')", timeout=30_000)
        assert token not in page.input_value("#admin-exported textarea, #admin-exported input")

        page.get_by_role("tab", name="Generate").click()
        open_details(page)
        fill_and_generate(page, token)  # the new token in the token box: the Admin tab hides again
        page.wait_for_selector("#manifest :text('tiny-ltx')", timeout=GENERATION_TIMEOUT_MS)
        assert not page.get_by_role("tab", name="Admin").is_visible()

        page.fill("#access-token input", ADMIN_TOKEN)
        page.get_by_role("tab", name="Admin").click()
        page.fill("#admin-revoke-label textarea", "phone-issued")
        page.click("#admin-revoke")
        page.wait_for_function(shows, arg=["revoked"], timeout=30_000)
    with pytest.raises(ValidationError) as refused:
        quick(admin_server.client(), token)
    assert INVALID_TOKEN_MESSAGE in str(refused.value)
