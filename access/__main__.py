"""Operator CLI: ``python -m access {issue,list,revoke}``.

A token is printed exactly once, alone on the last stdout line of ``issue``
(so scripts can ``| tail -n 1``); nothing else ever prints a token or hash.
Exit codes: 0 ok, 1 nothing to revoke or the store failed, 2 bad usage/label.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Sequence

from .store import (
    LABEL_RULES,
    InvalidLabel,
    LabelInUse,
    TokenRecord,
    TokenStore,
    default_store,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _issue(store: TokenStore, label: str, if_none: bool = False) -> int:
    if if_none and any(record.active for record in store.list_tokens()):
        # `make run` asks for a first token on every start; only the very first start gets one.
        print("An active access token already exists; none was issued. See `python -m access list`.")
        return EXIT_OK
    try:
        token = store.issue(label)
    except InvalidLabel:
        _error(f"invalid label {label!r}: use {LABEL_RULES}. Nothing was issued.")
        return EXIT_USAGE
    except LabelInUse:
        _error(
            f"label {label!r} already has an active token. Revoke it first "
            "or choose another label. Nothing was issued."
        )
        return EXIT_USAGE
    print(f"Issued an access token for {label!r}.")
    print("It is shown only this once and cannot be recovered; copy it now.")
    print(token)
    return EXIT_OK


def _format_table(records: list[TokenRecord]) -> str:
    rows = [("LABEL", "CREATED (UTC)", "STATUS")]
    rows += [
        (r.label, r.created_at, "active" if r.active else "revoked") for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(
        f"{label.ljust(widths[0])}  {created.ljust(widths[1])}  {status}"
        for label, created, status in rows
    )


def _list(store: TokenStore) -> int:
    records = store.list_tokens()
    if not records:
        print(f"No access tokens have been issued (store: {store.db_path}).")
    else:
        print(_format_table(records))
    return EXIT_OK


def _revoke(store: TokenStore, label: str) -> int:
    if store.revoke(label):
        print(f"Revoked the access token for {label!r}. It no longer works.")
        return EXIT_OK
    _error(f"no active access token is labelled {label!r}; nothing was revoked.")
    return EXIT_FAILED


def _build_parser() -> argparse.ArgumentParser:
    # --data-dir is accepted before or after the subcommand; SUPPRESS keeps a
    # subcommand's unset copy from overwriting the top-level value.
    data_dir_help = "directory holding access.sqlite3 (default: $REEL_DATA_DIR or ./data)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, default=argparse.SUPPRESS, help=data_dir_help
    )
    parser = argparse.ArgumentParser(
        prog="python -m access",
        description="Manage Reel access tokens. The pepper is read from "
        "$REEL_TOKEN_PEPPER.",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help=data_dir_help)
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser(
        "issue", parents=[common], help="issue a token; it is printed once"
    )
    issue.add_argument("--label", required=True, help=f"who it is for: {LABEL_RULES}")
    issue.add_argument(
        "--if-none",
        action="store_true",
        help="issue only while no active token exists (the Quick start's first token)",
    )
    commands.add_parser("list", parents=[common], help="list tokens (never secrets)")
    revoke = commands.add_parser("revoke", parents=[common], help="revoke a token")
    revoke.add_argument("label", help="label of the token to revoke")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    store = default_store(args.data_dir)
    try:
        if args.command == "issue":
            return _issue(store, args.label, args.if_none)
        if args.command == "list":
            return _list(store)
        return _revoke(store, args.label)
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        _error(f"cannot use the token store at {store.db_path}: {exc}")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
