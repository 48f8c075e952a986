"""The settings module: one declaration per REEL_* setting, one reader, the docs' table made from the declarations,
and no other module reading a REEL_* variable itself. Standard library only, so this file runs in a second."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from settings import DECLARED, KINDS, Setting, SettingError, declared, default_of, read_setting, read_settings
from settings.setting import CHOICE, DATABASE_URL, EXACT_TEXT, FLAG, LIST, NUMBER, PATH, TEXT, WHOLE
from settings.table import CONFIGURATION_DOC, UPDATE_COMMAND, markdown_table, with_table

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["access", "history", "provenance", "model", "ui", "bench"]
READERS = [ROOT / "app.py"] + sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))
PARTS = {"access", "history", "provenance", "model", "ui", "bench"}
# REEL_ names in code and docs that are not settings: a C2PA assertion label, a theme colour, and prefixes that
# name a family of settings in prose.
NOT_SETTINGS = {"REEL_ASSERTION_LABEL", "REEL_RED", "REEL_UPLOAD_", "REEL_HF_DAILY_", "REEL_"}


# -- the declarations ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", DECLARED, ids=lambda setting: setting.name)
def test_each_declaration_is_complete_and_its_default_obeys_its_own_rule(setting):
    assert re.fullmatch(r"REEL_[A-Z0-9_]+", setting.name) and setting.kind in KINDS
    assert setting.what and setting.meaning and "\n" not in setting.meaning and "|" not in setting.meaning
    assert all(reader.strip().split("/")[0] in PARTS and (ROOT / reader.strip()).is_file()
               for reader in setting.read_by.split(","))
    assert (setting.kind == CHOICE) == bool(setting.choices)
    if setting.default is None:
        assert setting.default_text, "say in words what an unset value means"
    elif setting.kind in (WHOLE, NUMBER, CHOICE):
        assert setting.parse(str(setting.default)) == setting.default
    assert read_settings({}, [setting.name])[setting.name] == setting.default  # unset reads as the default
    assert read_settings({setting.name: "  "}, [setting.name])[setting.name] == (
        "  " if setting.kind == EXACT_TEXT else setting.default)  # empty reads as unset (exact text keeps spaces)


def test_names_are_declared_once():
    names = [setting.name for setting in DECLARED]
    assert len(names) == len(set(names))


def test_settings_that_hold_keys_are_secret_and_a_secret_is_never_shown():
    for setting in DECLARED:
        if re.search(r"KEY|SECRET|PEPPER|PASSWORD|TOKENS", setting.name):
            assert setting.secret, setting.name
    secret = Setting("REEL_EXAMPLE", WHOLE, 1, "a count", "a count", "access/common.py", least=1, secret=True)
    with pytest.raises(SettingError) as refused:
        secret.parse("hunter2")
    assert str(refused.value) == "REEL_EXAMPLE must be a whole number, 1 or more (a count)"


def test_every_reel_name_in_the_code_and_the_docs_is_declared():
    texts = [path.read_text() for path in READERS + [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]]
    mentioned = {name for text in texts for name in re.findall(r"\bREEL_[A-Z0-9_]*", text)}
    assert sorted(mentioned - NOT_SETTINGS - {setting.name for setting in DECLARED}) == []


def test_no_module_reads_a_reel_variable_past_the_settings_module():
    """One reader: a module asks settings/ for a REEL_* value instead of reading the environment itself."""
    own_read = re.compile(r"(?:environ\.get|getenv|environ\[)\(?\s*(?:[\"']REEL_|[A-Z_]+_ENV\b)")
    found = {str(path.relative_to(ROOT)): own_read.findall(path.read_text()) for path in READERS}
    assert {path: reads for path, reads in found.items() if reads} == {}


def test_the_settings_package_imports_no_other_reel_package_and_nothing_outside_the_standard_library():
    imported = set()
    for path in (ROOT / "settings").glob("*.py"):
        imported |= set(re.findall(r"^(?:from|import) ([a-z_]+)", path.read_text(), re.M))
    assert imported <= {"__future__", "argparse", "dataclasses", "math", "os", "pathlib", "sys", "types", "typing"}


# -- reading -----------------------------------------------------------------------------------------------------


def test_each_kind_reads_as_the_docs_say():
    read = read_settings({
        "REEL_QUEUE_SIZE": " 32 ", "REEL_UPLOAD_WINDOW_SECONDS": "1.5e2", "REEL_ZEROGPU_XLARGE": "TRUE",
        "REEL_AUDIT_PROMPTS": "No", "REEL_MODEL": " tiny-wan ", "REEL_TOKEN_PEPPER": " spicy ",
        "REEL_DATA_DIR": " /srv/reel ", "REEL_ALLOWED_USERS": " ada, ,bob,ada ", "REEL_BENCH_BASELINE": "off",
        "REEL_DATABASE_URL": " postgresql://reel:pw@db.example/reel ",
    })
    assert read["REEL_QUEUE_SIZE"] == 32 and read["REEL_UPLOAD_WINDOW_SECONDS"] == 150.0
    assert read["REEL_ZEROGPU_XLARGE"] is True and read["REEL_AUDIT_PROMPTS"] is False
    assert read["REEL_MODEL"] == "tiny-wan" and read["REEL_TOKEN_PEPPER"] == " spicy "
    assert read["REEL_DATA_DIR"] == Path("/srv/reel") and read["REEL_ALLOWED_USERS"] == ("ada", "bob", "ada")
    assert read["REEL_BENCH_BASELINE"] == "off" and read["REEL_GPU_CONCURRENCY"] is None
    assert read["REEL_DATABASE_URL"] == "postgresql://reel:pw@db.example/reel"
    assert {TEXT, EXACT_TEXT, PATH, LIST} | {WHOLE, NUMBER, FLAG, CHOICE, DATABASE_URL} == set(KINDS)


def test_a_database_url_that_is_not_postgresql_is_refused_without_showing_it():
    with pytest.raises(SettingError) as refused:
        read_settings({"REEL_DATABASE_URL": "mysql://reel:hunter2@db.example/reel"})
    assert str(refused.value) == ("REEL_DATABASE_URL must be a PostgreSQL URL, "
                                  "postgresql://user:password@host:port/database")


def test_the_first_bad_value_in_declared_order_is_the_one_named():
    with pytest.raises(SettingError, match="^REEL_QUEUE_SIZE "):
        read_settings({"REEL_HISTORY_MAX": "x", "REEL_QUEUE_SIZE": "x"})


def test_a_name_that_is_not_declared_or_not_read_is_a_clear_key_error():
    with pytest.raises(KeyError, match="REEL_QUEUESIZE is not declared"):
        read_setting("REEL_QUEUESIZE", {})
    with pytest.raises(KeyError, match="REEL_MODEL was not read"):
        read_settings({}, ["REEL_QUEUE_SIZE"])["REEL_MODEL"]
    assert default_of("REEL_QUEUE_SIZE") == 16 and declared("REEL_QUEUE_SIZE").least == 1


def test_the_command_checks_this_environment_in_one_line():
    def run(*args, **env):
        return subprocess.run([sys.executable, "-m", "settings", *args], cwd=ROOT, env={"PATH": "/usr/bin:/bin", **env},
                              capture_output=True, text=True, timeout=60)

    bad = run(REEL_QUEUE_SIZE="abc", REEL_C2PA_KEY="not shown")
    assert bad.returncode == 1 and bad.stdout == "" and bad.stderr.strip().splitlines() == [
        "Bad setting: REEL_QUEUE_SIZE must be a whole number, 1 or more (requests that may wait), not 'abc'"]
    good = run(REEL_QUEUE_SIZE="4", REEL_C2PA_KEY="not shown")
    assert good.returncode == 0 and "REEL_QUEUE_SIZE, REEL_C2PA_KEY" in good.stdout and "not shown" not in good.stdout
    assert run("--markdown").stdout.strip() == markdown_table()


# -- the docs ------------------------------------------------------------------------------------------------------


def test_the_configuration_doc_holds_the_table_the_declarations_make():
    doc = CONFIGURATION_DOC.read_text()
    assert with_table(doc) == doc, (
        f"docs/configuration.md's table of settings differs from settings/declared.py; run `{UPDATE_COMMAND}`"
    )
    assert all(f"| `{setting.name}` |" in doc for setting in DECLARED)
