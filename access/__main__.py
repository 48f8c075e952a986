"""Operator CLI: ``python -m access {issue,list,revoke,usage,export,audit,history}``.

A token is printed exactly once, alone on the last stdout line of ``issue``
(so scripts can ``| tail -n 1``), or with ``--banner`` inside a box for a person
at a terminal (``make run``); nothing else ever prints a token, and only
``export`` prints hashes (one line on stdout, for the REEL_TOKENS secret).
``history`` and ``usage`` also read the video history (history.sqlite3 beside
the token store), keyed by label, never by token; neither creates it.
Exit codes: 0 ok, 1 nothing to revoke or the store failed, 2 bad usage/label.
"""

from __future__ import annotations

import argparse
import datetime
import sqlite3
import sys
from pathlib import Path
from typing import Sequence

from history import DB_FILENAME as HISTORY_DB_FILENAME
from history import HistoryStore

from .audit import AuditLog
from .banner import cli_command, token_box, token_exists_reminder
from .common import format_seconds
from .db import DatabaseError, database_problem
from .store import LABEL_RULES, InvalidLabel, LabelInUse, TokenInfo, TokenStore, default_data_dir, default_store
from .timeutil import parse_duration

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([cell.ljust(w) for cell, w in zip(row, widths)] + [row[-1]]).rstrip()
        for row in rows
    )


def _limits(daily_limit: int | None, daily_seconds: float | None) -> str:
    parts = []
    if daily_limit is not None:
        parts.append(f"{daily_limit} clip{'s' if daily_limit != 1 else ''}/day")
    if daily_seconds is not None:
        parts.append(f"{format_seconds(daily_seconds)} s/day")
    return ", ".join(parts) or "none"


def _used(info: TokenInfo) -> str:
    text = f"{info.clips_today} clip{'s' if info.clips_today != 1 else ''}, {format_seconds(info.seconds_today)} s"
    return text + (f" (+{info.pending_today} pending)" if info.pending_today else "")


def _issue(store: TokenStore, args: argparse.Namespace) -> int:
    label = args.label
    if args.if_none and store.has_active_token():
        # `make run` asks for a first token on every start; only the very first start gets one.
        print(token_exists_reminder(cli_command(args.data_dir)))
        return EXIT_OK
    try:
        token = store.issue(
            label,
            daily_limit=args.daily_limit,
            daily_seconds=args.daily_seconds,
            expires_in=args.expires_in,
        )
    except InvalidLabel:
        _error(f"invalid label {label!r}: use {LABEL_RULES}. Nothing was issued.")
        return EXIT_USAGE
    except LabelInUse:
        _error(
            f"label {label!r} already has an active token. Revoke it first "
            "or choose another label. Nothing was issued."
        )
        return EXIT_USAGE
    [info] = [i for i in store.describe_tokens() if i.label == label]
    if args.banner:
        limits = f"limits: {_limits(info.daily_limit, info.daily_seconds)}; expires: {info.expires_at or 'never'}"
        print(token_box(token, label, limits, cli_command(args.data_dir)))
        return EXIT_OK
    print(f"Issued an access token for {label!r}.")
    print(f"Limits: {_limits(info.daily_limit, info.daily_seconds)}. "
          f"Expires: {info.expires_at or 'never'}.")
    print("It is shown only this once and cannot be recovered; copy it now.")
    print(token)
    return EXIT_OK


def _list(store: TokenStore) -> int:
    infos = store.describe_tokens()
    if not infos:
        print(f"No access tokens have been issued (store: {store.where}).")
        return EXIT_OK
    rows = [("LABEL", "CREATED (UTC)", "EXPIRES (UTC)", "LIMITS", "USED TODAY (UTC)", "STATUS")]
    rows += [
        (i.label, i.created_at, i.expires_at or "never",
         _limits(i.daily_limit, i.daily_seconds), _used(i), i.status)
        for i in infos
    ]
    print(_table(rows))
    return EXIT_OK


def _revoke(store: TokenStore, label: str) -> int:
    if store.revoke(label):
        print(f"Revoked the access token for {label!r}. It no longer works.")
        return EXIT_OK
    _error(f"no active access token is labelled {label!r}; nothing was revoked.")
    return EXIT_FAILED


def _history_store(data_dir: Path) -> HistoryStore | None:
    """The history the app keeps (its index in REEL_DATABASE_URL's database, or the SQLite file in the data
    folder), or None when no SQLite index has been made yet (reading never creates it)."""
    history = HistoryStore.from_env(data_dir)
    if not history.is_shared and not (data_dir / HISTORY_DB_FILENAME).exists():
        return None
    return history


def _usage(store: TokenStore, days: int | None, data_dir: Path) -> int:
    rows = store.usage(days)
    if not rows:
        print("No clips have been made yet.")
    else:
        table = [("DAY (UTC)", "LABEL", "CLIPS", "SECONDS")]
        table += [(r.day, r.label, str(r.clips), format_seconds(r.seconds)) for r in rows]
        print(_table(table))
    history = _history_store(data_dir)
    kept = history.usage() if history is not None else []
    if kept:  # printed only when there is history, so the quota table above reads as before
        table = [("WHO", "VIDEOS", "SECONDS", "MB", "LAST MADE (UTC)")]
        table += [
            (k["holder"], str(k["items"]), format_seconds(round(k["seconds"], 1)),
             f"{k['bytes'] / 1e6:.1f}", k["last_made"])
            for k in kept
        ]
        print()
        print("Kept in history:")
        print(_table(table))
    return EXIT_OK


def _history(holder: str, data_dir: Path) -> int:
    history = _history_store(data_dir)
    try:
        items = history.items_of(holder) if history is not None else []
    except ValueError as exc:
        _error(f"{exc}.")
        return EXIT_USAGE
    if not items:
        print(f"No videos are kept in the history of {holder!r}.")
        return EXIT_OK
    rows = [("CREATED (UTC)", "KIND", "MODEL", "SECONDS", "SEED", "PROMPT", "ID")]
    for item in items:
        prompt = "-" if item.prompt is None else repr(item.prompt[:40])
        rows.append((
            item.created_at, item.kind, item.model or "-", format_seconds(round(item.seconds, 1)),
            "-" if item.seed is None else str(item.seed), prompt, item.id,
        ))
    print(_table(rows))
    return EXIT_OK


def _export(store: TokenStore) -> int:
    print(store.export_line())
    print(
        "Store the line above as the Space secret REEL_TOKENS (with the same "
        "REEL_TOKEN_PEPPER). It holds hashes, not tokens; keep it private anyway.",
        file=sys.stderr,
    )
    return EXIT_OK


def _audit(store: TokenStore, limit: int) -> int:
    entries = AuditLog(store, record_prompts=False).recent(limit)
    if not entries:
        print("The audit log is empty.")
        return EXIT_OK
    rows = [("TIME (UTC)", "OUTCOME", "WHO", "CLIENT", "SECONDS", "PROMPT SHA256", "PROMPT")]
    for e in entries:
        prompt = "" if e.prompt is None else repr(e.prompt[:60])
        rows.append((
            e.at, e.outcome, e.subject or "-", e.client,
            "-" if e.seconds is None else format_seconds(e.seconds),
            (e.prompt_sha256 or "-")[:16], prompt,
        ))
    print(_table(rows))
    return EXIT_OK


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError("must be above zero")
    return value


def _duration(text: str) -> datetime.timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    # --data-dir is accepted before or after the subcommand; SUPPRESS keeps a
    # subcommand's unset copy from overwriting the top-level value.
    data_dir_help = ("directory holding access.sqlite3 (unless $REEL_DATABASE_URL names a PostgreSQL database) and "
                     "the history (default: $REEL_DATA_DIR or ./data)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=data_dir_help)
    parser = argparse.ArgumentParser(
        prog="python -m access",
        description="Manage Reel access tokens. The pepper is read from $REEL_TOKEN_PEPPER.",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help=data_dir_help)
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", parents=[common], help="issue a token; it is printed once")
    issue.add_argument("--label", required=True, help=f"who it is for: {LABEL_RULES}")
    issue.add_argument(
        "--if-none",
        action="store_true",
        help="issue only while no active token exists (the Quick start's first token)",
    )
    issue.add_argument(
        "--banner",
        action="store_true",
        help="show the token in a box with how to use it, for a person at a terminal (make run)",
    )
    issue.add_argument("--daily-limit", type=_positive_int, metavar="N",
                       help="at most N clips per UTC day (default: no limit)")
    issue.add_argument("--daily-seconds", type=_positive_seconds, metavar="S",
                       help="at most S seconds of video per UTC day (default: no limit)")
    issue.add_argument("--expires-in", type=_duration, metavar="DURATION",
                       help="e.g. 90m, 12h, 30d (default: never expires)")
    commands.add_parser("list", parents=[common], help="list tokens, limits and today's use (never secrets)")
    revoke = commands.add_parser("revoke", parents=[common], help="revoke a token")
    revoke.add_argument("label", help="label of the token to revoke")
    usage = commands.add_parser("usage", parents=[common],
                                help="clips and seconds per token per UTC day, then the videos kept per person")
    usage.add_argument("--days", type=_positive_int, default=None, metavar="N",
                       help="only the last N days (default: all)")
    commands.add_parser("export", parents=[common],
                        help="print the token table (hashes, never secrets) as one line for REEL_TOKENS")
    audit = commands.add_parser("audit", parents=[common], help="print recent audit rows, newest first")
    audit.add_argument("--limit", type=_positive_int, default=50, metavar="N",
                       help="how many rows (default: 50)")
    history = commands.add_parser("history", parents=[common],
                                  help="list the videos kept in one person's history, newest first")
    history.add_argument("holder", metavar="LABEL", help="a token label, or hf:<username> for a Hugging Face user")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = default_store(args.data_dir)
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    try:
        if args.command == "issue":
            return _issue(store, args)
        if args.command == "list":
            return _list(store)
        if args.command == "usage":
            return _usage(store, args.days, data_dir)
        if args.command == "export":
            return _export(store)
        if args.command == "audit":
            return _audit(store, args.limit)
        if args.command == "history":
            return _history(args.holder, data_dir)
        return _revoke(store, args.label)
    except DatabaseError as exc:
        # Not the driver's text: it names the host, port and user of the connection string.
        _error(f"cannot use the token store at {store.where}: {database_problem(exc)}")
        return EXIT_FAILED
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        _error(f"cannot use the token store at {store.where}: {exc}")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
