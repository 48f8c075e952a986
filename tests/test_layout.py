"""The shape of ui/ that docs/architecture.md describes: tabs only lay out controls and wire events to the studio
(ui/studio/), no module but ui/demo.py imports a tab, and each GPU event's form lists exactly the inputs its handler
and validator take, in their order (the form, not a list of names, is what keeps them in step)."""

import ast
import inspect
from pathlib import Path

import pytest

from ui.studio import (
    ClipForm,
    ExtendForm,
    KeptExtendForm,
    KeptReproduceForm,
    ReproduceForm,
    ResultExtendForm,
    ResultReproduceForm,
    StoryboardForm,
)
from ui.studio.clips import Clips
from ui.studio.history_actions import HistoryActions
from ui.studio.reproductions import Reproductions
from ui.studio.storyboards import Storyboards

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "ui"
TAB_MODULES = {"ui.generate", "ui.storyboard", "ui.reproduce", "ui.history", "ui.admin"}
# Filled in by Gradio, not inputs of the event.
INJECTED = {"self", "request", "profile", "progress"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def ui_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(UI.rglob("*.py"))}


def imported_modules(name: str, path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved, and `from package import module` counted as the
    module itself."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return found


def test_the_tab_modules_are_the_ones_that_define_a_tab():
    """A new tab module is one that defines a ...Tab class; it joins the rule below by being listed here."""
    defining = set()
    for name, path in ui_modules().items():
        classes = [node.name for node in ast.parse(path.read_text()).body if isinstance(node, ast.ClassDef)]
        if any(cls.endswith("Tab") for cls in classes):
            defining.add(name)
    assert defining == TAB_MODULES


@pytest.mark.parametrize("name", sorted(set(ui_modules()) - {"ui.demo"}))
def test_no_module_but_the_page_assembly_imports_a_tab(name):
    """Tabs know the studio, never each other; the studio and what it uses know no tab."""
    imported = imported_modules(name, ui_modules()[name])
    assert not (imported & (TAB_MODULES - {name})), f"{name} imports {sorted(imported & TAB_MODULES)}"


def test_the_studio_imports_no_gradio_layout_of_its_own():
    """The studio does the work; the page's controls are the tabs' (ui/components.py is theirs)."""
    for name, path in ui_modules().items():
        if name.startswith("ui.studio"):
            assert "ui.components" not in imported_modules(name, path), name


def inputs_of(handler) -> tuple[str, ...]:
    return tuple(name for name in inspect.signature(handler).parameters if name not in INJECTED)


@pytest.mark.parametrize(
    "form, handler, validator",
    [
        (ClipForm, Clips.generate, Clips.validate),
        (StoryboardForm, Storyboards.storyboard, Storyboards.validate),
        (ReproduceForm, Reproductions.reproduce, Reproductions.validate_reproduce),
        (ExtendForm, Reproductions.extend, Reproductions.validate_extend),
        (ResultReproduceForm, Reproductions.reproduce_result, Reproductions.validate_reproduce_result),
        (ResultExtendForm, Reproductions.extend_result, Reproductions.validate_extend_result),
        (KeptReproduceForm, HistoryActions.reproduce_selected, HistoryActions.validate_reproduce_selected),
        (KeptExtendForm, HistoryActions.extend_selected, HistoryActions.validate_extend_selected),
    ],
)
def test_each_form_is_its_handlers_and_its_validators_inputs_in_order(form, handler, validator):
    assert form.names() == inputs_of(handler) == inputs_of(validator)


def test_a_form_lists_an_events_components_in_its_own_order_and_refuses_a_missing_one():
    assert ExtendForm.inputs(access_token="t", seed="s", negative_prompt="n", seconds="c", prompt="p", video="v") == [
        "v", "p", "c", "n", "s", "t"
    ]
    with pytest.raises(TypeError, match="seed"):
        ExtendForm.inputs(video="v", prompt="p", seconds="c", negative_prompt="n", access_token="t")


@pytest.mark.parametrize("form", [ClipForm, StoryboardForm, ReproduceForm, ExtendForm, ResultReproduceForm,
                                  ResultExtendForm, KeptReproduceForm, KeptExtendForm])
def test_a_forms_text_never_shows_the_access_token(form):
    """A form may end up in a log line or a traceback; the token it carries must not."""
    token = "reel_" + "s3cret" * 8
    values = {name: (token if name == "access_token" else None) for name in form.names()}
    filled = form(**values)
    assert filled.access_token == token
    assert token not in repr(filled) and token not in str(filled)
