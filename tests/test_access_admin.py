"""Who is an admin (access/admin.py): the Space's owner and REEL_ADMINS signed in, or the admin token."""

import pytest

from access.admin import MIN_ADMIN_TOKEN_CHARACTERS, Admins

TOKEN = "t" * MIN_ADMIN_TOKEN_CHARACTERS


def test_the_owner_and_the_listed_accounts_are_admins_in_any_case():
    admins = Admins.from_env({"REEL_ADMINS": "Ada, grace", "SPACE_AUTHOR_NAME": "StudioOwner"})
    assert all(admins.is_admin_account(name) for name in ("ada", "GRACE", "studioowner"))
    assert not admins.is_admin_account("mallory") and not admins.is_admin_account(None)
    assert not Admins.from_env({}).is_admin_account("ada")


def test_the_admin_token_matches_only_itself_and_is_kept_as_a_hash():
    admins = Admins.from_env({"REEL_ADMIN_TOKEN": TOKEN})
    assert admins.holds_token(TOKEN) and admins.holds_token(f"  {TOKEN}\n")
    for wrong in ("", None, TOKEN[:-1], TOKEN + "t", 42, "reel_" + TOKEN):
        assert not admins.holds_token(wrong)
    assert TOKEN not in repr(admins) and not Admins.from_env({}).holds_token("")


def test_an_admin_token_too_short_to_be_safe_stops_the_start_without_showing_it():
    with pytest.raises(ValueError) as refused:
        Admins.from_env({"REEL_ADMIN_TOKEN": "hunter2"})
    assert "REEL_ADMIN_TOKEN must be at least 32 characters" in str(refused.value)
    assert "hunter2" not in str(refused.value)
