"""Every REEL_* setting, declared once (settings/declared.py) and read through one reader, so a bad value ends the
start in one line naming it, before anything slow is imported or loaded.

Standard library only, and no other Reel package: every package may import it, and app.py checks it first.
"""

from .declared import DECLARED
from .reading import Settings, declared, default_of, read_setting, read_settings
from .setting import KINDS, Setting, SettingError, split_list

__all__ = [
    "DECLARED", "KINDS", "Setting", "SettingError", "Settings", "declared", "default_of", "read_setting",
    "read_settings", "split_list",
]
