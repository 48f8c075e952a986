"""Every Python example in the README and in docs/ runs as written against a live server on the default setup (the
CPU preview model), with only the server address and the token filled in. The examples run in one namespace, in a
fixed order: the README's first, then each docs/ file's in the order of their names, each file's top to bottom
(docs/api.md's later examples use what its earlier ones made)."""

import re
from pathlib import Path

import pytest
from PIL import Image

from conftest import DOCS_ADMIN_TOKEN

ROOT = Path(__file__).resolve().parent.parent


def documents() -> list[Path]:
    """The README, then docs/*.md by name."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_examples() -> list[tuple[Path, str]]:
    """(file, code) for every ```python block, in the order they run."""
    fence = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
    return [(path, code) for path in documents() for code in fence.findall(path.read_text())]


def test_the_examples_cover_every_endpoint():
    readme = "\n".join(code for path, code in python_examples() if path.name == "README.md")
    assert 'api_name="/generate"' in readme  # the README's one call
    code = "\n".join(code for _, code in python_examples())
    for endpoint in ("/generate", "/storyboard", "/extend", "/reproduce", "/history", "/history_video"):
        assert f'api_name="{endpoint}"' in code


@pytest.mark.live
def test_the_examples_run_as_written(default_server, tmp_path, monkeypatch):
    token = default_server.issue_token("readme-reader")
    # The pictures the examples upload, as a reader would have them on disk.
    Image.new("RGB", (640, 400), (200, 120, 40)).save(tmp_path / "start.png")
    Image.new("RGB", (512, 320), (20, 30, 90)).save(tmp_path / "end.png")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    ran = []
    for path, example in python_examples():
        assert "reel_..." in example or "Client(" not in example
        code = example.replace('"http://127.0.0.1:7860/', '"' + default_server.url).replace('"reel_..."', repr(token))
        code = code.replace('"the REEL_ADMIN_TOKEN secret"', repr(DOCS_ADMIN_TOKEN))
        exec(compile(code, str(path.relative_to(ROOT)), "exec"), namespace)  # noqa: S102 - the docs' own examples
        ran.append(path.relative_to(ROOT).as_posix())
    assert ran[0] == "README.md" and "docs/api.md" in ran
    assert Path(namespace["again_path"]).is_file()
    assert Path(namespace["kept_path"]).is_file() and namespace["newest"]["manifest"]["lora"]["name"] == "dolly-in"
    assert len(namespace["manifest"]["shots"]) == 3
    assert namespace["longer_manifest"]["num_frames"] > namespace["manifest"]["num_frames"]
    assert pytest.approx(namespace["longer_manifest"]["num_frames"] / 24, abs=0.5) == 8
    assert not namespace["answer"].isError and ".mp4" in namespace["answer"].content[0].text  # the MCP example
    assert namespace["issued"]["token"].startswith("reel_") and namespace["audit"][0]["outcome"] == "admin_usage"
