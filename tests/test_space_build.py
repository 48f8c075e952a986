"""The Space builds where its users are: the Python named in the README front matter satisfies every package the
Space installs (all the way down the dependency tree), and the start-up timeout covers the worst-case start."""

import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from model import CATALOG
from model.catalog import DEFAULT_GPU_MODEL
from model.gpu_time import worst_case_start_seconds

ROOT = Path(__file__).resolve().parent.parent


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "README.md starts with the Spaces front matter"
    return yaml.safe_load(match.group(1))


def space_requirements() -> list[Requirement]:
    """requirements.txt plus gradio, which Spaces installs from `sdk_version` (with the oauth extra for
    `hf_oauth: true`)."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    wanted = [Requirement(line.split("#")[0].strip()) for line in lines if line.split("#")[0].strip()]
    wanted.append(Requirement(f"gradio[oauth]=={front_matter()['sdk_version']}"))
    return wanted


def requires_python_of_tree(python_version: str) -> dict[str, str]:
    """Requires-Python of every installed distribution the Space needs, walking Requires-Dist with the
    front matter's Python in the markers."""
    seen: dict[str, str] = {}
    pending = [(requirement, ()) for requirement in space_requirements()]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen and not requirement.extras:
            continue
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            if requirement.marker is not None:
                continue  # needed only under another Python or platform than this machine's
            raise
        seen[name] = distribution.metadata.get("Requires-Python") or ""
        for line in distribution.requires or []:
            child = Requirement(line)
            environments = [{"python_version": python_version, "extra": extra} for extra in requirement.extras or [""]]
            if child.marker is None or any(child.marker.evaluate(env) for env in environments):
                pending.append((child, ()))
    return seen


def test_front_matter_names_a_python():
    assert re.fullmatch(r"3\.\d+", str(front_matter()["python_version"]))


def test_every_installed_package_accepts_the_front_matter_python():
    python_version = str(front_matter()["python_version"])
    tree = requires_python_of_tree(python_version)
    assert {"diffusers", "transformers", "torch", "gradio", "spaces", "sentencepiece"} <= set(tree)
    refusing = {name: spec for name, spec in tree.items() if spec and python_version + ".0" not in SpecifierSet(spec)}
    assert not refusing, f"these refuse Python {python_version}: {refusing}"


def test_requirements_name_gradio_at_the_front_matter_version():
    """requirements.txt names gradio only for its `mcp` extra: a different version there would fight the SDK's."""
    pins = [r for r in space_requirements() if canonicalize_name(r.name) == "gradio"]
    assert {str(r.specifier) for r in pins} == {f"=={front_matter()['sdk_version']}"}
    assert any("mcp" in r.extras for r in pins)


def test_the_pinned_diffusers_would_refuse_the_old_spaces_default_python():
    """Why the front matter must name a Python: Spaces' default (3.10) cannot install diffusers 0.42.1."""
    assert "3.10.0" not in SpecifierSet(metadata.distribution("diffusers").metadata["Requires-Python"])


def _seconds(duration: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert parts and "".join(number + unit for number, unit in parts) == duration, duration
    return sum(int(number) * units[unit] for number, unit in parts)


@pytest.mark.parametrize("models", [[DEFAULT_GPU_MODEL], ["wan2.2-ti2v-5b", "wan2.1-t2v-1.3b"]])
def test_startup_timeout_covers_downloads_loading_and_compiles(models):
    timeout = _seconds(front_matter()["startup_duration_timeout"])
    assert worst_case_start_seconds([CATALOG[key] for key in models], zerogpu=True) <= timeout
