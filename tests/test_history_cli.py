"""`python -m access history LABEL` and the history summary of `python -m access usage`: labels, never tokens."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from access import TokenStore
from access.__main__ import main
from history import HistoryStore

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN_SHAPE = re.compile(r"reel_[0-9A-Za-z]{49}")


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


def _issue(capsys, label: str) -> str:
    code, out, err = _run(capsys, "issue", "--label", label)
    assert code == 0, err
    token = out.splitlines()[-1]
    assert TOKEN_SHAPE.fullmatch(token)
    return token


def _video(directory: Path, size: int = 1000) -> Path:
    path = directory / f"render-{size}.mp4"
    path.write_bytes(b"\0" * size)
    return path


def _clip(prompt: str, seed: int, num_frames: int = 72) -> dict:
    return {"model": "tiny-ltx2", "prompt": prompt, "seed": seed, "num_frames": num_frames, "fps": 24}


def test_history_lists_one_holders_items_newest_first_without_tokens(data_dir: Path, tmp_path: Path, capsys):
    token = _issue(capsys, "alice")
    bob_token = _issue(capsys, "bob")
    store = HistoryStore(data_dir)
    first = store.add("alice", _video(tmp_path), _clip("a paper boat at dusk", 11), "clip")
    long_prompt = "a lighthouse keeper climbs the stairs at night while the storm " * 3
    second = store.add("alice", _video(tmp_path), _clip(long_prompt, 4294967295, num_frames=121), "extended")
    bobs = store.add("bob", _video(tmp_path), _clip("bob's secret film", 3), "clip")

    code, out, err = _run(capsys, "history", "alice")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["CREATED", "(UTC)", "KIND", "MODEL", "SECONDS", "SEED", "PROMPT", "ID"]
    assert len(rows) == 2 and rows[0].endswith(second.id) and rows[1].endswith(first.id)
    assert rows[0].split()[1:5] == ["extended", "tiny-ltx2", "5", "4294967295"]
    assert rows[1].split()[1:5] == ["clip", "tiny-ltx2", "3", "11"] and "'a paper boat at dusk'" in rows[1]
    assert repr(long_prompt[:40]) in rows[0] and long_prompt[:41] not in out
    assert bobs.id not in out and "secret film" not in out
    for secret in (token, bob_token):
        assert secret not in out + err
    assert not TOKEN_SHAPE.search(out + err)


def test_usage_adds_a_history_summary_per_holder(data_dir: Path, tmp_path: Path, capsys):
    token = _issue(capsys, "alice")
    tokens = TokenStore(data_dir / "access.sqlite3")
    tokens.commit(tokens.reserve("alice", 3.0).id, 3.0)
    store = HistoryStore(data_dir)
    store.add("alice", _video(tmp_path, 2_000_000), _clip("one", 1), "clip")
    store.add("alice", _video(tmp_path, 500_000), _clip("two", 2, num_frames=36), "clip")
    store.add("hf:carol", _video(tmp_path), _clip("three", 3), "storyboard")

    code, out, err = _run(capsys, "usage")
    assert code == 0, err
    quota, history = out.split("\n\n")
    assert [line.split()[1:] for line in quota.splitlines()] == [["(UTC)", "LABEL", "CLIPS", "SECONDS"],
                                                                  ["alice", "1", "3"]]
    title, header, *rows = history.splitlines()
    assert title == "Kept in history:" and header.split() == ["WHO", "VIDEOS", "SECONDS", "MB", "LAST", "MADE", "(UTC)"]
    assert [row.split()[:4] for row in rows] == [["alice", "2", "4.5", "2.5"], ["hf:carol", "1", "3", "0.0"]]
    assert token not in out + err and not TOKEN_SHAPE.search(out + err)


def test_without_history_the_output_is_as_before_and_nothing_is_created(data_dir: Path, capsys):
    assert _run(capsys, "usage")[1].strip() == "No clips have been made yet."
    code, out, _ = _run(capsys, "history", "alice")
    assert code == 0 and out.strip() == "No videos are kept in the history of 'alice'."
    assert not (data_dir / "history.sqlite3").exists() and not (data_dir / "history").exists()


def test_history_of_an_unknown_or_malformed_holder(data_dir: Path, tmp_path: Path, capsys):
    HistoryStore(data_dir).add("alice", _video(tmp_path), _clip("x", 1), "clip")
    code, out, _ = _run(capsys, "history", "hf:nobody")
    assert code == 0 and "No videos are kept in the history of 'hf:nobody'." in out
    code, out, err = _run(capsys, "history", "x" * 300)
    assert code == 2 and "holder" in err and out == ""
    assert _run(capsys, "history")[0] == 2


def test_the_real_command_line_prints_no_token(data_dir: Path, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "REEL_TOKEN_PEPPER"}
    env["REEL_DATA_DIR"] = str(data_dir)

    def cli(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "access", *argv], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    issued = cli("issue", "--label", "alice")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.splitlines()[-1]
    item = HistoryStore(data_dir).add("alice", _video(tmp_path), _clip("a paper boat", 5), "clip")
    for argv in (("history", "alice"), ("usage",), ("--data-dir", str(data_dir), "history", "alice")):
        result = cli(*argv)
        assert result.returncode == 0, result.stderr
        assert token not in result.stdout + result.stderr and not TOKEN_SHAPE.search(result.stdout + result.stderr)
    assert item.id in cli("history", "alice").stdout and "alice" in cli("usage").stdout
