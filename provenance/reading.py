"""Reading C2PA back from a file: the report c2pa's Reader gives, and what in it tests and the UI look at."""

from __future__ import annotations

import json
import re
from pathlib import Path

import c2pa

# The custom assertion that carries Reel's clip manifest (as JSON text, see signing.c2pa_manifest).
REEL_ASSERTION_LABEL = "org.reel.manifest"


def read_provenance(path: Path) -> dict | None:
    """The C2PA report of a file (c2pa's Reader JSON, parsed), or None when it carries no C2PA manifest.

    A file c2pa cannot parse at all (not a media file, unreadable) raises ValueError with c2pa's reason."""
    try:
        with c2pa.Reader(str(path)) as reader:
            return json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return None
    except c2pa.C2paError as error:
        raise ValueError(f"cannot read C2PA data from {Path(path).name}: {error}") from None


def validation_codes(report: dict) -> list[str]:
    """The failure codes of a report, each once, in order. A credential on no trust list gives
    `signingCredential.untrusted` and nothing else; any other code means the file or its signature is wrong."""
    codes = [entry.get("code") for entry in report.get("validation_status") or []]
    for manifest_results in (report.get("validation_results") or {}).values():
        if isinstance(manifest_results, dict):
            codes.extend(entry.get("code") for entry in manifest_results.get("failure") or [])
    return list(dict.fromkeys(code for code in codes if code))


def active_manifest(report: dict) -> dict:
    """The manifest that speaks for the file (the last one signed)."""
    return report["manifests"][report["active_manifest"]]


def assertion_data(report: dict, label: str):
    """The data of the active manifest's assertion `label` (matching a versioned label too, e.g. c2pa.actions.v2),
    or None when it has none."""
    versioned = re.compile(re.escape(label) + r"(\.v\d+)?")
    for assertion in active_manifest(report).get("assertions", []):
        if versioned.fullmatch(assertion.get("label", "")):
            return assertion.get("data")
    return None


def reel_manifest(report: dict) -> dict | None:
    """Reel's clip manifest as signed into the file, or None when the manifest has no Reel assertion."""
    data = assertion_data(report, REEL_ASSERTION_LABEL)
    if not isinstance(data, dict) or not isinstance(data.get("json"), str):
        return None
    return json.loads(data["json"])
