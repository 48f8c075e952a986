"""The documentation holds together: the README stays a page a newcomer reads (at most 10,000 bytes) and links every
file in docs/; every relative link in the README and docs/ reaches a file that exists and, with an anchor, a
heading in that file (GitHub's slugs); each docs/ file opens with its title and a way back. The command-line and
JSON examples run as written here; the Python ones run against a live server in tests/test_readme_examples.py, and
the JavaScript one (docs/api.md) with Node in tests/test_js_client_live.py."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The text without fenced blocks and inline code, where neither links nor headings live."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the text of any links and code, lowercased, every character but letters,
    digits, underscores, hyphens and spaces removed, spaces turned into hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor in `path`; a repeated one gets -1, -2... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for match in re.finditer(r"^#{1,6} +(.+?) *#* *$", FENCE.sub("", path.read_text()), re.M):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    """Link targets in `path` that are not web, mail or other scheme addresses."""
    return [target for target in LINK.findall(prose(path.read_text())) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


def test_the_readme_is_at_most_10_kb():
    assert len(README.read_bytes()) <= 10_000


def test_the_slug_rule():
    assert slug("A film in shots: `/storyboard`") == "a-film-in-shots-storyboard"
    assert slug("Today's ZeroGPU") == "todays-zerogpu"
    assert slug("Jobs at once, per person") == "jobs-at-once-per-person"
    assert slug("REEL_MODELS and the GPU") == "reel_models-and-the-gpu"


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_a_file_and_a_heading(path):
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or ROOT not in (linked, *linked.parents):
            broken.append(f"{target}: no such file in the repository")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.relative_to(ROOT)}")
    assert not broken, f"{path.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_readme_links_every_docs_file():
    assert DOCS, "docs/ holds the documentation"
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in relative_links(README)}
    assert [doc.name for doc in DOCS if doc.resolve() not in linked] == []


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.name)
def test_each_docs_file_opens_with_its_title_and_a_way_back(path):
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# ") and len(lines[0]) > 2
    assert "(../README.md)" in "\n".join(lines[1:4])


def blocks(language: str) -> list[tuple[Path, str]]:
    return [
        (path, code) for path in [README, *DOCS] for lang, code in FENCE.findall(path.read_text()) if lang == language
    ]


def test_the_json_examples_parse():
    assert blocks("json")
    for path, code in blocks("json"):
        json.loads(code)


def test_the_command_line_examples_run_as_written(tmp_path):
    """Each ```bash block's commands run in order against a data dir of its own, with this interpreter standing in
    for .venv/bin/python. Only `make` is left out (the README's Quick start): `make test` is this suite and
    `make run` serves until stopped."""
    ran = 0
    for number, (path, code) in enumerate(blocks("bash")):
        env = {**os.environ, "REEL_DATA_DIR": str(tmp_path / f"block-{number}")}
        env.pop("REEL_TOKENS", None)
        for line in code.splitlines():
            argv = shlex.split(line, comments=True)
            if not argv or (path == README and argv[0] == "make"):
                continue
            assert argv[:3] == [".venv/bin/python", "-m", "access"], f"{path.name}: a command this cannot run: {line}"
            done = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True)
            assert done.returncode == 0, f"{path.name}: `{line.strip()}` failed: {done.stderr}"
            ran += 1
    assert ran >= 8  # the README's one issue and operating.md's seven commands
