"""Carry the token table across restarts of a Space that has no persistent disk.

``python -m access export`` prints one line, ``reel-tokens-v1:`` + urlsafe
base64 of compact JSON, holding hashes, labels, limits, expiry and revocation:
never a secret.  The operator stores it as the Space secret ``REEL_TOKENS``;
the app merges it in at start.  Merging can only ever narrow access:

* a token revoked in either place stays revoked (never un-revoked);
* for a token known in both, the earlier expiry and the lower limits win;
* a hash retired locally (revoked, then its label re-issued) never returns;
* an exported token whose label is held by a different active local token is
  skipped, so a stale export cannot displace a token the operator issued here.

The hashes only verify with the same ``REEL_TOKEN_PEPPER`` on both sides.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
import re
from typing import Any, Mapping

from sqlalchemy import text
from sqlalchemy.engine import Connection

from settings import read_setting

from .common import LABEL_PATTERN
from .timeutil import from_iso, is_expired, to_iso

EXPORT_PREFIX = "reel-tokens-v1:"
EXPORT_ENV = "REEL_TOKENS"
PEPPER_ENV = "REEL_TOKEN_PEPPER"
MAX_EXPORT_CHARS = 4_000_000
_HASH = re.compile(r"[0-9a-f]{64}", re.ASCII)
_BAD = "REEL_TOKENS is not a valid Reel token export"
_KEEP_RETIRED = text(
    "INSERT INTO retired_hashes (token_hash, retired_at) VALUES (:hash, :now) ON CONFLICT (token_hash) DO NOTHING"
)


@dataclasses.dataclass(frozen=True)
class MergeReport:
    inserted: int = 0  # new tokens that now verify (or show as expired)
    revoked: int = 0  # local tokens the export revoked
    skipped: int = 0  # exported tokens whose label is held by another active token


def _fail(reason: str) -> ValueError:
    # Never quote the line: it is a secret's neighbour and may be huge.
    return ValueError(f"{_BAD} ({reason}). Run `python -m access export` again and copy the whole line.")


def _opt(entry: Mapping[str, Any], key: str, kind: str) -> Any:
    value = entry.get(key)
    if value is None:
        return None
    if kind == "time":
        if not isinstance(value, str):
            raise _fail("bad timestamp")
        try:
            return to_iso(from_iso(value))
        except ValueError:
            raise _fail("bad timestamp") from None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _fail("bad daily limit")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail("bad daily seconds")
    if not math.isfinite(value) or value <= 0:
        raise _fail("bad daily seconds")
    return float(value)


def _parse_entry(entry: object) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _fail("bad token entry")
    token_hash, label, created = entry.get("h"), entry.get("l"), entry.get("c")
    if not isinstance(token_hash, str) or not _HASH.fullmatch(token_hash):
        raise _fail("bad token hash")
    if not isinstance(label, str) or not LABEL_PATTERN.fullmatch(label):
        raise _fail("bad label")
    if not isinstance(created, str):
        raise _fail("bad timestamp")
    return {
        "h": token_hash,
        "l": label,
        "c": _opt(entry, "c", "time"),
        "r": _opt(entry, "r", "time"),
        "e": _opt(entry, "e", "time"),
        "n": _opt(entry, "n", "int"),
        "s": _opt(entry, "s", "float"),
    }


def parse_export(line: object) -> dict[str, Any]:
    """Decode and validate an export line; ValueError (without the line) if malformed."""
    if not isinstance(line, str):
        raise _fail("not text")
    line = line.strip()
    if len(line) > MAX_EXPORT_CHARS:
        raise _fail("too long")
    if not line.startswith(EXPORT_PREFIX):
        raise _fail(f"it must start with {EXPORT_PREFIX!r}")
    body = line[len(EXPORT_PREFIX):]
    try:
        raw = base64.b64decode(body.encode("ascii"), altchars=b"-_", validate=True)
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeError, binascii.Error, ValueError):
        raise _fail("cannot decode it") from None
    if not isinstance(payload, dict) or payload.get("v") != 1:
        raise _fail("unknown version")
    tokens, retired = payload.get("tokens"), payload.get("retired", [])
    if not isinstance(tokens, list) or not isinstance(retired, list):
        raise _fail("missing token list")
    if not isinstance(payload.get("p"), bool):
        raise _fail("missing pepper flag")
    if not all(isinstance(h, str) and _HASH.fullmatch(h) for h in retired):
        raise _fail("bad retired hash")
    return {"p": payload["p"], "tokens": [_parse_entry(e) for e in tokens], "retired": retired}


def _min(a: Any, b: Any) -> Any:
    """The stricter of two optional limits or times: None means "none"."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _earlier(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if from_iso(a) <= from_iso(b) else b


class ExportMixin:
    """export_line / merge_export methods of TokenStore."""

    def export_line(self) -> str:
        """Every token's hash, label, limits, expiry and revocation as one line."""
        with self._read() as conn:
            rows = conn.execute(
                text("SELECT token_hash, label, created_at, revoked_at, expires_at, daily_limit, daily_seconds"
                     " FROM tokens ORDER BY id")
            ).fetchall()
            retired = list(conn.execute(
                text("SELECT token_hash FROM retired_hashes ORDER BY token_hash")
            ).scalars())
        keys = ("h", "l", "c", "r", "e", "n", "s")
        tokens = [
            {k: v for k, v in zip(keys, row) if v is not None} for row in rows
        ]
        payload = {"v": 1, "p": self._pepper is not None, "tokens": tokens, "retired": retired}
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return EXPORT_PREFIX + base64.urlsafe_b64encode(body).decode("ascii")

    def merge_export(self, line: str) -> int:
        """Merge an export line in (see module docstring); return how many tokens were added."""
        return self.merge_export_report(line).inserted

    def merge_export_report(self, line: str) -> MergeReport:
        payload = parse_export(line)
        _check_pepper(payload, self._pepper is not None)
        counts = {"inserted": 0, "revoked": 0, "skipped": 0}
        with self._write() as conn:
            now = to_iso(self._now())
            for token_hash in payload["retired"]:
                counts["revoked"] += self._retire(conn, token_hash, now)
            for entry in payload["tokens"]:
                self._merge_entry(conn, entry, now, counts)
        return MergeReport(**counts)

    def _retire(self, conn: Connection, token_hash: str, now: str) -> int:
        """Make a hash permanently dead here; 1 if it revoked a live local token."""
        result = conn.execute(
            text("UPDATE tokens SET revoked_at = :now WHERE token_hash = :hash AND revoked_at IS NULL"),
            {"now": now, "hash": token_hash},
        )
        conn.execute(_KEEP_RETIRED, {"hash": token_hash, "now": now})
        return result.rowcount

    def _merge_entry(
        self, conn: Connection, e: dict[str, Any], now: str, counts: dict[str, int]
    ) -> None:
        if conn.execute(
            text("SELECT 1 FROM retired_hashes WHERE token_hash = :hash"), {"hash": e["h"]}
        ).fetchone():
            return  # retired here: it must never verify again
        local = conn.execute(
            text("SELECT revoked_at, expires_at, daily_limit, daily_seconds FROM tokens WHERE token_hash = :hash"),
            {"hash": e["h"]},
        ).fetchone()
        if local is not None:
            revoked = _earlier(local[0], e["r"])
            conn.execute(
                text("UPDATE tokens SET revoked_at = :revoked, expires_at = :expires, daily_limit = :limit,"
                     " daily_seconds = :seconds WHERE token_hash = :hash"),
                {"revoked": revoked, "expires": _earlier(local[1], e["e"]), "limit": _min(local[2], e["n"]),
                 "seconds": _min(local[3], e["s"]), "hash": e["h"]},
            )
            counts["revoked"] += int(local[0] is None and revoked is not None)
            return
        if e["r"] is not None:
            conn.execute(_KEEP_RETIRED, {"hash": e["h"], "now": now})
            return
        holder = conn.execute(
            text("SELECT token_hash, revoked_at, expires_at FROM tokens WHERE label = :label"), {"label": e["l"]}
        ).fetchone()
        if holder is not None:
            if holder[1] is None and not is_expired(holder[2], self._now()):
                counts["skipped"] += 1
                return
            self._retire(conn, holder[0], now)
            conn.execute(text("DELETE FROM tokens WHERE token_hash = :hash"), {"hash": holder[0]})
        conn.execute(
            text("INSERT INTO tokens (label, token_hash, created_at, revoked_at, expires_at, daily_limit,"
                 " daily_seconds) VALUES (:label, :hash, :created, NULL, :expires, :limit, :seconds)"),
            {"label": e["l"], "hash": e["h"], "created": e["c"], "expires": e["e"], "limit": e["n"],
             "seconds": e["s"]},
        )
        counts["inserted"] += 1


def _check_pepper(payload: Mapping[str, Any], peppered: bool) -> None:
    """Hashes made with a pepper verify only with the same pepper: an export and a store must agree on having one."""
    if payload["p"] != peppered:
        where = "with" if payload["p"] else "without"
        raise ValueError(
            f"REEL_TOKENS was exported {where} REEL_TOKEN_PEPPER, but this "
            "store is not; set the same pepper on both sides"
        )


def check_export_from_env(environ: Mapping[str, str] | None = None) -> None:
    """Refuse a malformed ``$REEL_TOKENS``, or one exported with the other pepper setting, at once: the merge
    itself runs later in the start, after the models have loaded. ValueError, without the line."""
    line = read_setting(EXPORT_ENV, environ)
    if line:
        _check_pepper(parse_export(line), bool(read_setting(PEPPER_ENV, environ)))


def merge_export_from_env(store: Any, environ: Mapping[str, str] | None = None) -> MergeReport:
    """Merge ``$REEL_TOKENS`` into ``store`` if it is set; an empty report otherwise."""
    line = read_setting(EXPORT_ENV, environ)
    return store.merge_export_report(line) if line else MergeReport()
