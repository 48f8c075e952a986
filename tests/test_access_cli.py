"""CLI for limits, expiry, usage, export and audit (`python -m access ...`)."""

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from access import EXPORT_PREFIX, AuditLog, TokenStore, hash_token
from access.__main__ import main

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN_SHAPE = re.compile(r"reel_[0-9A-Za-z]{49}")
UTC = datetime.timezone.utc


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("REEL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REEL_TOKEN_PEPPER", raising=False)
    return tmp_path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def _store(data_dir: Path, clock=None) -> TokenStore:
    return TokenStore(data_dir / "access.sqlite3", clock=clock)


def test_issue_with_limits_and_expiry(data_dir: Path, capsys):
    code, out, err = _run(capsys, "issue", "--label", "ada", "--daily-limit", "5",
                          "--daily-seconds", "60", "--expires-in", "30d")
    assert code == 0, err
    *human, token = out.splitlines()
    assert TOKEN_SHAPE.fullmatch(token) and token not in "\n".join(human) + err
    assert any("Limits: 5 clips/day, 60 s/day. Expires: 20" in line for line in human)
    [info] = _store(data_dir).describe_tokens()
    assert (info.daily_limit, info.daily_seconds) == (5, 60.0)
    expires = datetime.datetime.fromisoformat(info.expires_at)
    expected = datetime.datetime.now(UTC) + datetime.timedelta(days=30)
    assert abs((expires - expected).total_seconds()) < 60
    code, out, _ = _run(capsys, "issue", "--label", "free")
    assert code == 0 and "Limits: none. Expires: never." in out


@pytest.mark.parametrize("args", [
    ("--daily-limit", "0"), ("--daily-limit", "two"), ("--daily-limit", "1.5"),
    ("--daily-seconds", "0"), ("--daily-seconds", "nan"), ("--daily-seconds", "inf"),
    ("--expires-in", "30"), ("--expires-in", "0d"), ("--expires-in", "-1d"), ("--expires-in", "soon"),
    ("--expires-in", "99999y"),
])
def test_bad_limits_and_durations_exit_2_and_issue_nothing(data_dir: Path, capsys, args):
    code, out, err = _run(capsys, "issue", "--label", "x", *args)
    assert code == 2 and err.strip() and not TOKEN_SHAPE.search(out + err)
    assert _store(data_dir).list_tokens() == []


def test_list_shows_limits_use_expiry_and_status_but_no_secret(data_dir: Path, capsys):
    past = TokenStore(data_dir / "access.sqlite3", clock=lambda: datetime.datetime(2020, 1, 1, tzinfo=UTC))
    past.issue("old", expires_in=datetime.timedelta(days=1))
    store = _store(data_dir)
    ada = store.issue("ada", daily_limit=5, daily_seconds=60)
    store.commit(store.reserve("ada", 3.0).id, 2.5)
    store.reserve("ada", 3.0)
    bob = store.issue("bob")
    store.revoke("bob")
    code, out, err = _run(capsys, "list")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split("  ")[0] == "LABEL" and "EXPIRES (UTC)" in header and "STATUS" in header
    by_label = {row.split()[0]: row for row in rows}
    assert by_label["old"].endswith("expired") and "2020-01-02T00:00:00+00:00" in by_label["old"]
    assert "5 clips/day, 60 s/day" in by_label["ada"] and "1 clip, 2.5 s (+1 pending)" in by_label["ada"]
    assert by_label["ada"].endswith("active") and "never" in by_label["ada"]
    assert by_label["bob"].endswith("revoked") and "none" in by_label["bob"]
    for token in (ada, bob):
        assert token not in out and hash_token(token, None) not in out


def test_if_none_issues_when_only_expired_tokens_remain(data_dir: Path, capsys):
    past = TokenStore(data_dir / "access.sqlite3", clock=lambda: datetime.datetime(2020, 1, 1, tzinfo=UTC))
    past.issue("first", expires_in=datetime.timedelta(hours=1))
    code, out, _ = _run(capsys, "issue", "--label", "first", "--if-none")
    assert code == 0 and TOKEN_SHAPE.fullmatch(out.splitlines()[-1])
    code, out, _ = _run(capsys, "issue", "--label", "second", "--if-none")
    assert code == 0 and "already exists" in out and not TOKEN_SHAPE.search(out)


def test_usage_per_token_per_day(data_dir: Path, capsys):
    assert _run(capsys, "usage")[1].strip() == "No clips have been made yet."

    class Clock:
        now = datetime.datetime(2026, 5, 8, 10, 0, tzinfo=UTC)

        def __call__(self):
            return self.now

    clock = Clock()
    store = _store(data_dir, clock)
    store.issue("ada")
    store.issue("bob")
    store.commit(store.reserve("ada", 2.0).id, 2.0)
    clock.now += datetime.timedelta(days=1)
    for _ in range(2):
        store.commit(store.reserve("ada", 1.5).id, 1.5)
    store.commit(store.reserve("bob", 4.0).id, 4.0)
    store.reserve("bob", 4.0)  # pending: not used yet
    code, out, _ = _run(capsys, "usage")
    assert code == 0
    assert [line.split() for line in out.splitlines()] == [
        ["DAY", "(UTC)", "LABEL", "CLIPS", "SECONDS"],
        ["2026-05-09", "ada", "2", "3"],
        ["2026-05-09", "bob", "1", "4"],
        ["2026-05-08", "ada", "1", "2"],
    ]


def test_export_prints_exactly_one_line_without_secrets(data_dir: Path):
    env = {k: v for k, v in os.environ.items() if k != "REEL_TOKEN_PEPPER"}
    env["REEL_DATA_DIR"] = str(data_dir)
    store = _store(data_dir)
    token = store.issue("ada", daily_limit=2)
    out = subprocess.run([sys.executable, "-m", "access", "export"], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(EXPORT_PREFIX) and "REEL_TOKENS" in out.stderr
    assert token not in out.stdout + out.stderr and token[5:] not in out.stdout
    space = TokenStore(data_dir / "space" / "access.sqlite3")
    assert space.merge_export(lines[0]) == 1 and space.verify(token).label == "ada"


def test_audit_prints_recent_rows(data_dir: Path, capsys):
    assert _run(capsys, "audit")[1].strip() == "The audit log is empty."
    audit = AuditLog(_store(data_dir), record_prompts=True)
    audit.record("denied", client="203.0.113.7")
    audit.record("ok", client="203.0.113.8", subject="ada", seconds=2.5, prompt="a paper boat\nat dusk")
    code, out, _ = _run(capsys, "audit", "--limit", "1")
    header, *rows = out.splitlines()
    assert code == 0 and header.split()[:4] == ["TIME", "(UTC)", "OUTCOME", "WHO"]
    assert len(rows) == 1 and rows[0].split()[1:5] == ["ok", "ada", "203.0.113.8", "2.5"]
    assert "'a paper boat\\nat dusk'" in rows[0]
    code, out, _ = _run(capsys, "audit")
    assert len(out.splitlines()) == 3 and " denied " in out
    assert _run(capsys, "audit", "--limit", "0")[0] == 2
