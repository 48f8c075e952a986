"""`make run`'s first token: the first start shows it in a box before the server's own output, with commands that
work as printed; later starts say in one line how to get another and never show a token (only hashes are kept)."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from access import TokenStore

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN_SHAPE = re.compile(r"reel_[0-9A-Za-z]{49}")


def make_run_token_command() -> list[str]:
    """The token line of the Makefile's `run` recipe, as make runs it in the repo's venv (here: this interpreter).
    It must come before the line that starts the server, so the box is printed before the server's output."""
    recipe = (REPO_ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip().lstrip("@") for line in recipe.splitlines()[1:]]
    [token_line] = [line for line in lines if " -m access " in line]
    assert lines.index(token_line) < next(i for i, line in enumerate(lines) if "app.py" in line)
    return shlex.split(token_line.replace("$(BIN)/python", sys.executable))


def run(command: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "REEL_TOKEN_PEPPER"}
    env["REEL_DATA_DIR"] = str(data_dir)
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)


def printed_command(text: str, what: str) -> list[str]:
    """A command the output shows (the box's line, or the reminder's tail), ready to run."""
    line = next(line for line in text.splitlines() if what in line)
    shown = line.strip("| ").split("Get another: ")[-1]
    return shlex.split(shown)


def works(token: str, data_dir: Path) -> bool:
    return TokenStore(data_dir / "access.sqlite3").verify(token) is not None


def test_the_first_start_shows_the_token_in_a_box_with_working_commands(tmp_path: Path):
    first = run(make_run_token_command(), tmp_path)
    assert first.returncode == 0 and first.stderr == ""
    [token] = TOKEN_SHAPE.findall(first.stdout)
    assert works(token, tmp_path)
    box = [line for line in first.stdout.splitlines() if line.startswith(("+", "|"))]
    assert box[0] == box[-1] and set(box[0][1:-1]) == {"="}, "ruled top and bottom"
    assert {len(line) for line in box} == {len(box[0])} and all(line.endswith(("+", "|")) for line in box)
    assert any(token in line for line in box)
    text = "\n".join(box)
    assert '"Access token" box' in text and "shown only this once" in text

    another = printed_command(text, "issue --label NAME")
    spare = run([part.replace("NAME", "spare") for part in another], tmp_path)
    assert spare.returncode == 0 and works(spare.stdout.splitlines()[-1], tmp_path)
    listed = run(printed_command(text, " list"), tmp_path)
    assert listed.returncode == 0 and {"first", "spare"} <= set(re.findall(r"^(\w+)\s", listed.stdout, re.M))
    revoke = printed_command(text, "revoke LABEL")
    assert run([part.replace("LABEL", "spare") for part in revoke], tmp_path).returncode == 0


def test_later_starts_say_how_to_get_another_token_and_show_none(tmp_path: Path):
    command = make_run_token_command()
    [token] = TOKEN_SHAPE.findall(run(command, tmp_path).stdout)
    second = run(command, tmp_path)
    assert second.returncode == 0 and second.stderr == ""
    assert len(second.stdout.splitlines()) == 1 and not TOKEN_SHAPE.search(second.stdout)
    assert "already exists" in second.stdout and "cannot be shown again" in second.stdout
    assert [record.label for record in TokenStore(tmp_path / "access.sqlite3").list_tokens()] == ["first"]

    another = printed_command(second.stdout, "Get another: ")
    issued = run([part.replace("NAME", "laptop") for part in another], tmp_path)
    assert issued.returncode == 0 and works(issued.stdout.splitlines()[-1], tmp_path) and works(token, tmp_path)
