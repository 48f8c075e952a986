"""C2PA provenance for Reel's clips: the operator's signing credential, signing MP4s, reading them back.

Imports neither Gradio nor torch, so the app can check the credential before it loads any model.
"""

from .credentials import CERT_ENV, KEY_ENV, ProvenanceError, SigningCredentials, check_credentials
from .reading import (
    REEL_ASSERTION_LABEL,
    active_manifest,
    assertion_data,
    read_provenance,
    reel_manifest,
    validation_codes,
)
from .signing import TRAINED_ALGORITHMIC_MEDIA, UNTRUSTED_CODE, C2paSigner, SigningFailed, c2pa_manifest

__all__ = [
    "CERT_ENV", "KEY_ENV", "REEL_ASSERTION_LABEL", "TRAINED_ALGORITHMIC_MEDIA", "UNTRUSTED_CODE",
    "C2paSigner", "ProvenanceError", "SigningCredentials", "SigningFailed",
    "active_manifest", "assertion_data", "c2pa_manifest", "check_credentials", "read_provenance", "reel_manifest",
    "validation_codes",
]
