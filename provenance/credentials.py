"""The operator's C2PA signing credential: a certificate chain and its private key, checked once at start.

Both come from environment variables (Space secrets are strings), each either the PEM text itself or the path of a
PEM file. Every problem found here is a ProvenanceError with one line an operator can act on, raised before the app
serves anything, rather than a failure at the first clip. No message ever quotes the key.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from settings import read_settings

CERT_ENV = "REEL_C2PA_CERT"
KEY_ENV = "REEL_C2PA_KEY"
SUPPORTED_KEYS = "an EC P-256 key (ES256) or an RSA key (PS256)"
# A PEM file is a few kilobytes; refusing anything far larger keeps a wrong path (a video, a disk image) cheap.
MAX_PEM_BYTES = 1_000_000


class ProvenanceError(RuntimeError):
    """The signing credential cannot be used; the message is one line for the operator, free of key material."""


@dataclass(frozen=True, repr=False)
class SigningCredentials:
    """A checked credential, normalised for c2pa: the chain as PEM (leaf first) and the key as PKCS#8 PEM."""

    algorithm: str  # "ES256" or "PS256"
    chain_pem: bytes
    key_pem: bytes
    leaf: x509.Certificate

    def describe(self) -> str:
        """Who signs, for the start-up log: names and dates only."""
        subject = self.leaf.subject.rfc4514_string()
        issuer = self.leaf.issuer.rfc4514_string()
        expires = self.leaf.not_valid_after_utc.date().isoformat()
        return f"{self.algorithm}, certificate {subject!r} issued by {issuer!r}, valid until {expires}"

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return f"SigningCredentials({self.describe()})"


def _pem_bytes(variable: str, value: str) -> bytes:
    """The PEM bytes a variable stands for: its own text when it holds PEM, else the file it names."""
    text = value.strip()
    if "-----BEGIN" in text:
        # A secret pasted as one line with literal "\n" escapes (as some .env files store it).
        if "\n" not in text and "\\n" in text:
            text = text.replace("\\n", "\n")
        return text.encode("utf-8", errors="replace")
    try:
        path = Path(text).expanduser()
        if path.stat().st_size > MAX_PEM_BYTES:
            raise ProvenanceError(f"{variable} names a file far too large to be PEM: {path}")
        return path.read_bytes()
    except (OSError, ValueError):
        # Not quoted: a key pasted without its BEGIN line would land here.
        raise ProvenanceError(
            f"{variable} is neither PEM text (starting with -----BEGIN) nor the path of a readable PEM file"
        ) from None


def _load_chain(pem: bytes) -> list[x509.Certificate]:
    if b"PRIVATE KEY-----" in pem:
        raise ProvenanceError(f"{CERT_ENV} holds a private key, not a certificate: are the two variables swapped?")
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise ProvenanceError(
            f"{CERT_ENV} holds no readable PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        ) from None
    return chain


def _load_key(pem: bytes):
    if b"-----BEGIN CERTIFICATE-----" in pem and b"PRIVATE KEY-----" not in pem:
        raise ProvenanceError(f"{KEY_ENV} holds a certificate, not a private key: are the two variables swapped?")
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise ProvenanceError(f"{KEY_ENV} is password-protected: give the private key unencrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        # The parser's own text is not passed on: it could one day quote what it failed to read.
        raise ProvenanceError(
            f"{KEY_ENV} holds no readable PEM private key (expected -----BEGIN PRIVATE KEY-----)"
        ) from None


def _key_kind(key) -> str:
    """The key's type in words, for refusing one Reel does not sign with."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC key on {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "an Ed25519 key"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "an Ed448 key"
    return f"a {type(key).__name__.removeprefix('_')} key"


def algorithm_for(key) -> str:
    """The C2PA algorithm a key signs with: ES256 for EC P-256, PS256 for RSA (C2PA allows no PKCS#1 v1.5)."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey):
        return "PS256"
    raise ProvenanceError(f"{KEY_ENV} is {_key_kind(key)}; Reel signs with {SUPPORTED_KEYS}")


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _is_self_signed(cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_credentials(cert_pem: bytes, key_pem: bytes, now: datetime.datetime | None = None) -> SigningCredentials:
    """Parse and cross-check a chain and key; what c2pa itself thinks is tested by the signer (a trial signing)."""
    chain = _load_chain(cert_pem)
    key = _load_key(key_pem)
    leaf = chain[0]
    if _public_der(key.public_key()) != _public_der(leaf.public_key()):
        raise ProvenanceError(
            f"{KEY_ENV} does not match the certificate in {CERT_ENV} (the signing certificate must come first)"
        )
    algorithm = algorithm_for(key)
    if _is_self_signed(leaf):
        raise ProvenanceError(
            f"{CERT_ENV} is self-signed; C2PA needs a signing certificate issued by a certificate authority "
            "(give the leaf first, then the CA certificates that issued it)"
        )
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now < leaf.not_valid_before_utc:
        raise ProvenanceError(f"{CERT_ENV} is not valid until {leaf.not_valid_before_utc.isoformat()}")
    if now > leaf.not_valid_after_utc:
        raise ProvenanceError(f"{CERT_ENV} expired on {leaf.not_valid_after_utc.isoformat()}")
    chain_pem = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in chain)
    pkcs8_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningCredentials(algorithm, chain_pem, pkcs8_pem, leaf)


def credentials_from_env(environ=None) -> SigningCredentials | None:
    """The checked credential named by REEL_C2PA_CERT and REEL_C2PA_KEY (os.environ when `environ` is None), or None
    when neither is set."""
    settings = read_settings(environ, (CERT_ENV, KEY_ENV))
    cert_value, key_value = settings[CERT_ENV], settings[KEY_ENV]
    if not cert_value and not key_value:
        return None
    if not cert_value or not key_value:
        missing, given = (CERT_ENV, KEY_ENV) if not cert_value else (KEY_ENV, CERT_ENV)
        raise ProvenanceError(f"{given} is set but {missing} is not: C2PA signing needs both (or neither)")
    return check_credentials(_pem_bytes(CERT_ENV, cert_value), _pem_bytes(KEY_ENV, key_value))
