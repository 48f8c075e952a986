"""Throwaway C2PA credentials for tests and the benchmark (never for a real Space): a test CA and its leaves.

C2PA refuses a self-signed signing certificate, so every test that signs needs a small CA. The leaf carries what
the C2PA certificate profile asks for (KeyUsage digitalSignature, ExtendedKeyUsage emailProtection, both key
identifiers); nothing here is on a trust list, so a signed file reads back with `signingCredential.untrusted`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class PemCredentials:
    """PEM text as an operator would paste it into REEL_C2PA_CERT and REEL_C2PA_KEY."""

    cert_pem: str  # the leaf, then the CA that issued it (absent for a self-signed leaf)
    key_pem: str  # the leaf's private key, PKCS#8

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Both PEM texts as files in `folder`: (certificate path, key path)."""
        folder.mkdir(parents=True, exist_ok=True)
        cert_path = folder / "reel-c2pa-cert.pem"
        key_path = folder / "reel-c2pa-key.pem"
        cert_path.write_text(self.cert_pem)
        key_path.write_text(self.key_pem)
        return cert_path, key_path

    def environ(self) -> dict:
        """The two variables holding the PEM text itself, as Space secrets would."""
        return {"REEL_C2PA_CERT": self.cert_pem, "REEL_C2PA_KEY": self.key_pem}


def new_key(key_type: str = "ec-p256"):
    """A private key: "ec-p256", "ec-p384", "rsa" (2048 bits) or "ed25519"."""
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key type {key_type!r}")


def key_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def cert_pem(*certificates: x509.Certificate) -> str:
    return "".join(cert.public_bytes(serialization.Encoding.PEM).decode("ascii") for cert in certificates)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Reel tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _signature_hash(signing_key):
    """Ed25519 signs without a separate hash; every other key type here uses SHA-256."""
    return None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _validity(builder: x509.CertificateBuilder, days: int, expired: bool = False) -> x509.CertificateBuilder:
    """Valid from yesterday for `days`; or, `expired`, for the month that ended yesterday."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        return builder.not_valid_before(now - datetime.timedelta(days=31)).not_valid_after(
            now - datetime.timedelta(days=1)
        )
    return builder.not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(
        now + datetime.timedelta(days=days)
    )


@dataclass(frozen=True)
class ThrowawayCA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, common_name: str = "Reel test CA") -> "ThrowawayCA":
        key = ec.generate_private_key(ec.SECP256R1())
        builder = x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
        builder = _validity(builder, 365).serial_number(x509.random_serial_number()).public_key(key.public_key())
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        return cls(key, builder.sign(key, hashes.SHA256()))

    def issue(
        self, key_type: str = "ec-p256", common_name: str = "Reel test signer", expired: bool = False,
        c2pa_profile: bool = True,
    ) -> PemCredentials:
        """A signing leaf for a new key of `key_type`, issued by this CA, with the chain leaf-first. Without
        `c2pa_profile` the leaf lacks the extensions C2PA asks for (a plain certificate c2pa refuses)."""
        key = new_key(key_type)
        leaf = _leaf_certificate(key.public_key(), common_name, self.cert.subject, self.key, expired, c2pa_profile)
        return PemCredentials(cert_pem(leaf, self.cert), key_pem(key))


def _leaf_certificate(
    public_key, common_name: str, issuer: x509.Name, issuer_key, expired: bool = False, c2pa_profile: bool = True
) -> x509.Certificate:
    builder = x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(issuer)
    builder = _validity(builder, 30, expired).serial_number(x509.random_serial_number()).public_key(public_key)
    if not c2pa_profile:
        return builder.sign(issuer_key, _signature_hash(issuer_key))
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ),
        critical=True,
    )
    builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
    )
    return builder.sign(issuer_key, _signature_hash(issuer_key))


def self_signed_credentials(key_type: str = "ec-p256") -> PemCredentials:
    """A leaf with every C2PA extension, signed by its own key: what C2PA refuses."""
    key = new_key(key_type)
    name = _name("Reel self-signed signer")
    leaf = _leaf_certificate(key.public_key(), "Reel self-signed signer", name, key)
    return PemCredentials(cert_pem(leaf), key_pem(key))
