"""C2PA signing of Reel's MP4s: a signed statement, inside the file, that a trained model made the clip.

The manifest holds one `c2pa.created` action with IPTC's "trained algorithmic media" source type (what C2PA readers
show as AI-generated), naming the model, and Reel's own clip manifest as a custom assertion. Reel's `comment`
metadata tag stays where it was: signing adds a C2PA box, it does not rewrite the movie.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import c2pa
import numpy as np

from .credentials import ProvenanceError, SigningCredentials, credentials_from_env
from .reading import REEL_ASSERTION_LABEL, read_provenance, validation_codes

logger = logging.getLogger("reel.provenance")

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# What a credential on no trust list reads back with; the trial signing at start accepts it and nothing else.
UNTRUSTED_CODE = "signingCredential.untrusted"
MP4_FORMAT = "video/mp4"
# c2pa says only "the certificate is invalid" when the leaf lacks what the C2PA certificate profile asks for.
_CERTIFICATE_PROFILE_HINT = (
    " (C2PA asks for a leaf with KeyUsage digitalSignature, an ExtendedKeyUsage such as emailProtection,"
    " and both key identifiers)"
)
_KEY_QUOTED = "the underlying message quoted the key and is not shown"
_ALGORITHMS = {"ES256": c2pa.C2paSigningAlg.ES256, "PS256": c2pa.C2paSigningAlg.PS256}


class SigningFailed(RuntimeError):
    """Signing one file failed; the clip itself is fine and can be delivered unsigned. `reason` is c2pa's (or the
    system's) own words, without the file name."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def c2pa_manifest(clip_manifest: dict, model_label: str, app_version: str, title: str) -> dict:
    """The C2PA manifest definition for one clip.

    The clip manifest goes in as JSON text rather than as structured data: c2pa 0.38.1 turns a JSON list of numbers
    into a CBOR byte string (a list of floats came back empty, [300, 70000] as two bytes), so structured data would
    not read back as written.
    """
    created = {
        "action": "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": {"name": model_label},
        "parameters": {"model": model_label},
    }
    return {
        "claim_generator_info": [{"name": "Reel", "version": app_version}],
        "title": title,
        "format": MP4_FORMAT,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [created]}},
            {
                "label": REEL_ASSERTION_LABEL,
                "data": {"json": json.dumps(clip_manifest, ensure_ascii=False, sort_keys=True)},
            },
        ],
    }


def _write_trial_mp4(path: Path) -> None:
    """Two tiny frames of H.264: the smallest real MP4 to try the credential on."""
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(1))
        stream.width = stream.height = 16
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for _ in range(2):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), 128, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _without_key(message: str, key_pem: bytes) -> str:
    """`message`, unless it quotes any line of the key's PEM body (then a plain stand-in)."""
    body_lines = [line for line in key_pem.decode("ascii").splitlines() if line and not line.startswith("-----")]
    if any(line in message for line in body_lines):
        return _KEY_QUOTED
    return " ".join(message.split())


class C2paSigner:
    """Signs MP4s with one checked credential. A c2pa signer is made per file (well under a millisecond), so one
    C2paSigner is safe to share between threads."""

    def __init__(self, credentials: SigningCredentials):
        self.credentials = credentials

    @classmethod
    def from_env(cls, environ=None) -> C2paSigner | None:
        """The signer REEL_C2PA_CERT and REEL_C2PA_KEY describe, proven by one trial signing; None when neither
        is set (an unsigned deployment). Raises ProvenanceError, one line for the operator, on any problem."""
        credentials = credentials_from_env(environ)
        if credentials is None:
            return None
        signer = cls(credentials)
        signer.check_with_trial_signing()
        logger.info("C2PA signing on: %s", credentials.describe())
        return signer

    @property
    def algorithm(self) -> str:
        return self.credentials.algorithm

    def __repr__(self) -> str:
        return f"C2paSigner({self.credentials.describe()})"

    def check_with_trial_signing(self) -> None:
        """Sign and read back a throwaway MP4, so what c2pa refuses is found at start, not at the first clip."""
        with tempfile.TemporaryDirectory(prefix="reel-c2pa-check-") as folder:
            source = Path(folder) / "trial.mp4"
            signed = Path(folder) / "trial-signed.mp4"
            _write_trial_mp4(source)
            try:
                self.sign_mp4(source, signed, {"trial": True}, "credential check", "0")
            except SigningFailed as error:
                hint = _CERTIFICATE_PROFILE_HINT if "certificate is invalid" in error.reason else ""
                raise ProvenanceError(f"c2pa refused the signing credential: {error.reason}{hint}") from None
            report = read_provenance(signed)
            failures = [code for code in validation_codes(report or {}) if code != UNTRUSTED_CODE]
            if report is None or failures:
                found = ", ".join(failures) or "no manifest"
                raise ProvenanceError(f"a trial file signed with this credential does not verify: {found}")

    def _c2pa_signer(self) -> c2pa.Signer:
        info = c2pa.C2paSignerInfo(
            _ALGORITHMS[self.credentials.algorithm], self.credentials.chain_pem, self.credentials.key_pem, None
        )
        return c2pa.Signer.from_info(info)

    def sign_mp4(self, src: Path, dst: Path, clip_manifest: dict, model_label: str, app_version: str) -> None:
        """Write `src` signed to `dst` (which may be `src` itself), through a temporary file beside `dst` renamed
        into place: `dst` is either the whole signed file or untouched. Any failure raises SigningFailed."""
        src, dst = Path(src), Path(dst)
        temp_path = None
        try:
            manifest = c2pa_manifest(clip_manifest, model_label, app_version, title=dst.name)
            descriptor, temp_name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".signing")
            temp_path = Path(temp_name)
            with os.fdopen(descriptor, "w+b") as target, open(src, "rb") as source:
                with self._c2pa_signer() as signer, c2pa.Builder(manifest) as builder:
                    builder.sign(signer, MP4_FORMAT, source, target)
            # mkstemp makes the file private (0600); the signed clip keeps the permissions the clip had.
            os.chmod(temp_path, stat.S_IMODE(src.stat().st_mode))
            os.replace(temp_path, dst)
        except Exception as error:
            if temp_path is not None:
                temp_path.unlink(missing_ok=True)
            reason = _without_key(str(error), self.credentials.key_pem)
            # The original error stays attached for tracebacks, unless its text is what had to be hidden.
            cause = None if reason == _KEY_QUOTED else error
            raise SigningFailed(f"C2PA signing of {src.name} failed: {reason}", reason) from cause
