"""Every Python example in the README's "Calling Reel from Python" section runs as written against a live server
on the default setup (the CPU preview model), with only the server address and the token filled in."""

import re
from pathlib import Path

import pytest
from PIL import Image

README = Path(__file__).resolve().parent.parent / "README.md"


def calling_examples() -> list[str]:
    text = README.read_text()
    section = text.split("## Calling Reel from Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_section_has_every_endpoint():
    code = "\n".join(calling_examples())
    for endpoint in ("/generate", "/storyboard", "/extend", "/reproduce", "/history", "/history_video"):
        assert f'api_name="{endpoint}"' in code


def test_the_examples_run_as_written(default_server, tmp_path, monkeypatch):
    token = default_server.issue_token("readme-reader")
    # The pictures the examples upload, as a reader would have them on disk.
    Image.new("RGB", (640, 400), (200, 120, 40)).save(tmp_path / "start.png")
    Image.new("RGB", (512, 320), (20, 30, 90)).save(tmp_path / "end.png")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for example in calling_examples():
        assert "reel_..." in example or "Client(" not in example
        code = example.replace('"http://127.0.0.1:7860/', '"' + default_server.url).replace('"reel_..."', repr(token))
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own examples
    assert Path(namespace["again_path"]).is_file()
    assert Path(namespace["kept_path"]).is_file() and namespace["newest"]["manifest"]["lora"]["name"] == "dolly-in"
    assert len(namespace["manifest"]["shots"]) == 3
    assert namespace["longer_manifest"]["num_frames"] > namespace["manifest"]["num_frames"]
    assert pytest.approx(namespace["longer_manifest"]["num_frames"] / 24, abs=0.5) == 8
    assert not namespace["answer"].isError and ".mp4" in namespace["answer"].content[0].text  # the MCP example
