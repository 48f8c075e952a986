"""Tests for the access-token package: format, store, gate and CLI."""

import dataclasses
import functools
import hashlib
import hmac
import os
import re
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import typo_of

from access import (
    INVALID_TOKEN_MESSAGE, MISSING_TOKEN_MESSAGE, TOKEN_LENGTH, AccessDenied, InvalidLabel,
    LabelInUse, TokenRecord, TokenStore, check_access, default_data_dir, default_store,
    hash_token, is_well_formed, new_token, token_from_authorization,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN_SHAPE = re.compile(r"reel_[0-9A-Za-z]{49}")


@pytest.fixture
def store(database) -> TokenStore:
    return TokenStore(database())


class _HostileStr(str):
    """A str whose methods blow up: is_well_formed must still just say False."""

    def startswith(self, *args):
        raise RuntimeError("boom")


def _malformed_tokens() -> list[object]:
    """Each malformation under a name of its own, so the test ids are the same in every process that collects them
    (pytest-xdist's workers must agree) and never show a token."""
    good = new_token()
    cases = {
        "none": None, "empty": "", "int": 42, "bytes": b"reel_" + b"0" * 49,
        "capital-prefix": "Reel_" + good[5:], "wrong-prefix": "reex_" + good[5:],
        "typo-last": typo_of(good), "typo-after-prefix": typo_of(good, at=5), "one-short": good[:-1],
        "one-long": good + "0", "non-ascii": good[:-1] + "é", "dash-inside": good[:20] + "-" + good[21:],
        "megabyte": "x" * 1_000_000, "megabyte-prefixed": "reel_" + "0" * 1_000_000, "nul-bytes": "\x00" * 54,
        "object": object(), "list": [], "float": 3.5, "hostile-str": _HostileStr(typo_of(good)),
    }
    return [pytest.param(value, id=name) for name, value in cases.items()]


def test_new_tokens_are_unique_and_have_the_documented_shape():
    tokens = [new_token() for _ in range(500)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert len(token) == TOKEN_LENGTH == 54
        assert TOKEN_SHAPE.fullmatch(token), token
        assert is_well_formed(token)


@pytest.mark.parametrize("bad", _malformed_tokens())
def test_is_well_formed_rejects_malformed_input(bad):
    assert is_well_formed(bad) is False


def test_hash_token_is_sha256_without_pepper_and_hmac_with_it():
    token = new_token()
    assert hash_token(token, None) == hashlib.sha256(token.encode()).hexdigest()
    expected = hmac.new(b"pep", token.encode(), hashlib.sha256).hexdigest()
    assert hash_token(token, b"pep") == expected != hash_token(token, b"other")


BEARER_CASES = [
    ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"),
    ("  Bearer   abc  ", "abc"), ("Basic abc", None), ("Bearer", None), ("Bearer ", None),
    ("abc", None), ("Bearer abc def", None), ("", None), (None, None), (123, None),
]


@pytest.mark.parametrize(("header", "expected"), BEARER_CASES)
def test_token_from_authorization(header, expected):
    assert token_from_authorization(header) == expected


def test_issue_verify_revoke_round_trip(store: TokenStore):
    token = store.issue("alice")
    record = store.verify(token)
    assert record == TokenRecord(label="alice", created_at=record.created_at, revoked_at=None)
    assert record.created_at.endswith("+00:00")
    assert store.revoke("alice") is True
    assert store.verify(token) is None
    assert store.revoke("alice") is False
    assert store.revoke("nobody") is False
    assert store.verify(new_token()) is None  # well-formed but unknown
    [listed] = store.list_tokens()
    assert listed.label == "alice" and listed.revoked_at is not None
    assert [f.name for f in dataclasses.fields(TokenRecord)] == ["label", "created_at", "revoked_at"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        listed.label = "mallory"


def test_active_label_cannot_be_reused_but_revoked_label_can(store: TokenStore):
    first = store.issue("bob")
    with pytest.raises(LabelInUse):
        store.issue("bob")
    assert store.verify(first) is not None
    store.revoke("bob")
    second = store.issue("bob")
    assert store.verify(second).label == "bob"
    assert store.verify(first) is None
    assert [(r.label, r.active) for r in store.list_tokens()] == [("bob", True)]


def test_label_rules(store: TokenStore):
    for bad in ("", " ", "a b", "x" * 65, "é", "a/b", "a\n", None):
        with pytest.raises(InvalidLabel):
            store.issue(bad)
    assert store.list_tokens() == []
    for label in ("a", "x" * 64, "ops.team_1-b@example.org"):
        assert store.verify(store.issue(label)).label == label


@pytest.mark.parametrize("bad", _malformed_tokens())
def test_malformed_tokens_never_touch_the_database(tmp_path: Path, bad):
    fresh = TokenStore(tmp_path / "never" / "access.sqlite3")
    assert fresh.verify(bad) is None
    assert not (tmp_path / "never").exists()

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    unopenable = TokenStore(blocker / "access.sqlite3")
    assert unopenable.verify(bad) is None
    with pytest.raises(AccessDenied):
        check_access(unopenable, bad)
    with pytest.raises(OSError):  # control: a well-formed token does reach the DB
        unopenable.verify(new_token())


def test_only_hashes_reach_the_disk(tmp_path: Path):
    db_path = tmp_path / "access.sqlite3"
    store = TokenStore(db_path, pepper=b"pepper")
    store.list_tokens()  # create the file
    # An open reader keeps the WAL file around so its bytes are checked too.
    reader = sqlite3.connect(db_path)
    reader.execute("SELECT count(*) FROM tokens").fetchone()
    try:
        tokens = [store.issue(f"user{i}") for i in range(5)]
        assert all(store.verify(t) for t in tokens)
        wal, shm = Path(f"{db_path}-wal"), Path(f"{db_path}-shm")
        assert wal.exists()
        raw = b"".join(p.read_bytes() for p in (db_path, wal, shm) if p.exists())
    finally:
        reader.close()
    for token in tokens:
        assert token.encode() not in raw
        assert token[5:].encode() not in raw
        assert hash_token(token, b"pepper").encode() in raw


def test_pepper_changes_the_stored_hash_and_must_match(tmp_path: Path):
    db_path = tmp_path / "access.sqlite3"
    peppered = TokenStore(db_path, pepper=b"one")
    token = peppered.issue("carol")
    with sqlite3.connect(db_path) as conn:
        [(stored,)] = conn.execute("SELECT token_hash FROM tokens").fetchall()
    assert stored == hash_token(token, b"one") != hash_token(token, None)
    assert peppered.verify(token) is not None
    assert TokenStore(db_path, pepper=b"two").verify(token) is None
    assert TokenStore(db_path).verify(token) is None


def test_schema_version_and_private_directory(tmp_path: Path):
    db_path = tmp_path / "new" / "access.sqlite3"
    store = TokenStore(db_path)
    store.list_tokens()
    assert store.schema_version() == 4  # v2: limits, expiry, quotas, audit; v3: servers; v4: locked clients
    assert (db_path.parent.stat().st_mode & 0o777) == 0o700
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_store_reads_environment(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("REEL_DATA_DIR", raising=False)
    assert default_data_dir() == Path("data")
    monkeypatch.setenv("REEL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REEL_TOKEN_PEPPER", "spicy")
    store = default_store()
    assert store.db_path == tmp_path / "access.sqlite3"
    token = store.issue("dave")
    assert TokenStore(store.db_path, pepper=b"spicy").verify(token) is not None
    assert TokenStore(store.db_path).verify(token) is None


def test_eight_threads_issue_and_verify_at_once(database):
    store = TokenStore(database())  # first use (schema setup) races too
    labels = [f"user{i}" for i in range(8)]
    barrier = threading.Barrier(8)

    def worker(label: str) -> list:
        barrier.wait()
        token = store.issue(label)
        barrier.wait()
        return [getattr(store.verify(token), "label", None) for _ in range(25)]

    with ThreadPoolExecutor(max_workers=8) as pool:  # map re-raises worker errors
        results = dict(zip(labels, pool.map(worker, labels, timeout=60)))
    assert results == {label: [label] * 25 for label in labels}


@pytest.mark.parametrize("missing", [None, "", "   ", "\n\t"])
def test_check_access_missing_token(store: TokenStore, missing):
    with pytest.raises(AccessDenied) as caught:
        check_access(store, missing)
    assert caught.value.message == str(caught.value) == MISSING_TOKEN_MESSAGE


def test_check_access_same_message_for_unknown_revoked_and_malformed_only(store: TokenStore):
    revoked = store.issue("erin")
    store.revoke("erin")
    unknown = new_token()
    for bad in (unknown, revoked, typo_of(unknown), "reel_nope", "x" * 10_000):
        with pytest.raises(AccessDenied) as caught:
            check_access(store, bad)
        assert caught.value.message == str(caught.value) == INVALID_TOKEN_MESSAGE
        assert bad not in caught.value.message and bad not in repr(caught.value)
    token = store.issue("frank")
    assert check_access(store, f"  {token}\n").label == "frank"


def test_importing_access_pulls_in_no_heavy_modules():
    heavy = "{'torch', 'gradio', 'diffusers', 'numpy'}"
    code = f"import sys, access, access.__main__; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert (out.returncode, out.stdout.strip()) == (0, "[]"), out.stderr


def _cli(tmp_path: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REEL_TOKEN_PEPPER", "REEL_DATABASE_URL")}
    env["REEL_DATA_DIR"] = str(tmp_path)
    if database_url:
        env["REEL_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "access", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_cli_issue_list_revoke(tmp_path: Path, database):
    """On either database: REEL_DATABASE_URL, when set, is the store the CLI works on."""
    location = database()
    folder, url = (tmp_path, location) if isinstance(location, str) else (location.parent, None)
    cli = functools.partial(_cli, folder, database_url=url)
    issued = cli("issue", "--label", "grace")
    assert issued.returncode == 0, issued.stderr
    *human_lines, token = issued.stdout.splitlines()
    assert human_lines and TOKEN_SHAPE.fullmatch(token)
    assert token not in "".join(human_lines) + issued.stderr
    store = TokenStore(location)
    assert store.verify(token).label == "grace"

    listed = cli("list")
    assert listed.returncode == 0 and "grace" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout + listed.stderr
    assert hash_token(token, None) not in listed.stdout

    revoked = cli("revoke", "grace")
    assert revoked.returncode == 0 and "grace" in revoked.stdout
    assert store.verify(token) is None
    assert "revoked" in cli("list").stdout
    again = cli("revoke", "grace")
    assert again.returncode == 1 and again.stderr.strip()
    assert cli("revoke", "nobody").returncode == 1
    assert url is not None or (folder / "access.sqlite3").exists()


def test_cli_on_an_unreachable_database_says_so_in_one_line_without_the_connection_string(tmp_path: Path):
    url = f"postgresql://reel:s3cret-pw@/tokens?host={tmp_path}&port=9"  # no server listens on that socket
    listed = _cli(tmp_path, "list", database_url=url)
    assert listed.returncode == 1 and listed.stdout == ""
    assert listed.stderr.startswith("error: cannot use the token store at the PostgreSQL database 'tokens'")
    assert "s3cret-pw" not in listed.stderr and str(tmp_path) not in listed.stderr
    assert len(listed.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "access.sqlite3").exists()


def test_cli_duplicate_and_bad_labels_exit_2_and_issue_nothing(tmp_path: Path):
    first = _cli(tmp_path, "issue", "--label", "heidi").stdout.splitlines()[-1]
    dup = _cli(tmp_path, "issue", "--label", "heidi")
    assert dup.returncode == 2 and "heidi" in dup.stderr
    assert not TOKEN_SHAPE.search(dup.stdout + dup.stderr)
    bad = _cli(tmp_path, "issue", "--label", "no spaces")
    assert bad.returncode == 2 and bad.stderr.strip() and not TOKEN_SHAPE.search(bad.stdout)
    store = TokenStore(tmp_path / "access.sqlite3")
    assert [r.label for r in store.list_tokens()] == ["heidi"]
    assert store.verify(first) is not None


def test_cli_list_when_empty_and_data_dir_option(tmp_path: Path):
    other = tmp_path / "other"
    empty = _cli(tmp_path, "--data-dir", str(other), "list")
    assert empty.returncode == 0 and "No access tokens" in empty.stdout
    token = _cli(tmp_path, "--data-dir", str(other), "issue", "--label", "ivan").stdout.splitlines()[-1]
    assert TokenStore(other / "access.sqlite3").verify(token) is not None
    assert not (tmp_path / "access.sqlite3").exists()


def test_cli_first_token_is_issued_once_only(tmp_path: Path):
    """`make run` asks for a first token on every start: only the first start prints one."""
    first = _cli(tmp_path, "issue", "--label", "first", "--if-none")
    assert first.returncode == 0 and TOKEN_SHAPE.fullmatch(first.stdout.splitlines()[-1])
    second = _cli(tmp_path, "issue", "--label", "first", "--if-none")
    assert second.returncode == 0 and not TOKEN_SHAPE.search(second.stdout)
    assert "already exists" in second.stdout
    assert [r.label for r in TokenStore(tmp_path / "access.sqlite3").list_tokens()] == ["first"]
