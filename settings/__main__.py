"""`python -m settings`: check this environment's REEL_* settings without starting Reel, or make the docs' table.

  python -m settings                 read and check every setting; one line naming the first bad one (exit 1)
  python -m settings --markdown      print docs/configuration.md's table of settings
  python -m settings --update-docs   rewrite that table in docs/configuration.md, between its markers
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .declared import DECLARED
from .reading import read_settings
from .setting import SettingError
from .table import CONFIGURATION_DOC, markdown_table, with_table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m settings", description="Reel's REEL_* settings.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--markdown", action="store_true", help="print the table of settings as Markdown")
    action.add_argument("--update-docs", action="store_true", help=f"rewrite the table in {CONFIGURATION_DOC.name}")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table())
        return 0
    if args.update_docs:
        CONFIGURATION_DOC.write_text(with_table(CONFIGURATION_DOC.read_text()))
        print(f"Wrote the table of {len(DECLARED)} settings into {CONFIGURATION_DOC}")
        return 0
    try:
        read_settings()
    except SettingError as bad:
        print(f"Bad setting: {bad}", file=sys.stderr)
        return 1
    set_here = [setting.name for setting in DECLARED if os.environ.get(setting.name, "").strip()]
    print(f"All {len(DECLARED)} settings read; set here: {', '.join(set_here) or 'none'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
