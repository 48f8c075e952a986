"""Reading the declared settings from an environment: all of them (the app, first thing) or a few (a module's
`from_env`), into one frozen object. The first bad value raises SettingError, one line naming it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from .declared import DECLARED
from .setting import Setting

_BY_NAME: Mapping[str, Setting] = MappingProxyType({setting.name: setting for setting in DECLARED})


@dataclass(frozen=True)
class Settings:
    """The values read, by setting name: `settings["REEL_QUEUE_SIZE"]`. None where a setting is unset and its
    default depends on where Reel runs (the reader applies it)."""

    values: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"{name} was not read: it is not declared in settings/declared.py, or was not asked for")


def declared(name: str) -> Setting:
    """The declaration of `name`; KeyError when settings/declared.py has none (a misspelt name in code)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not declared in settings/declared.py") from None


def default_of(name: str) -> Any:
    """The declared default, for modules whose constructors default to what an unset setting means."""
    return declared(name).default


def read_settings(environ: Mapping[str, str] | None = None, names: Iterable[str] | None = None) -> Settings:
    """Every declared setting (or just `names`) from `environ` (os.environ when None), checked in the order declared.
    Raises SettingError for the first value that breaks its rule."""
    environ = os.environ if environ is None else environ
    chosen = DECLARED if names is None else [declared(name) for name in names]
    return Settings(MappingProxyType({setting.name: setting.parse(environ.get(setting.name)) for setting in chosen}))


def read_setting(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One setting's value, read and checked as read_settings does."""
    return read_settings(environ, (name,))[name]
