"""The site's signing key, and certificates that verify anywhere without asking this server.

Each installation has one Ed25519 key, made on first use and kept in the data directory. A
certificate's claims (number, recipient, course, issuer, dates) are written in one canonical form
(JSON, keys sorted, no spaces, UTF-8) and signed. The claims and the signature travel with the
certificate: in its QR code, after the verification URL's `#`, and in its credential document.
Anyone holding the issuer's public key can then check a certificate with no network at all.

QR payload: `<verification_url>#ulc1.<base64url(claims)>.<base64url(signature)>`. A phone that
scans it opens the verification page (the fragment never leaves the phone); an offline verifier
reads the fragment.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from university_local.core.files import create_once

KEY_FILE = "site-signing-key.pem"
PAYLOAD_PREFIX = "ulc1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(claims: dict[str, Any]) -> bytes:
    """The one byte form of claims that is signed and checked."""
    return orjson.dumps(claims, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class SiteKey:
    private: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_key(self) -> str:
        """The public key as people copy it: base64url of the 32 raw bytes."""
        return b64url(self.public_bytes)

    @property
    def key_id(self) -> str:
        """A short, stable name for the key: the start of its SHA-256."""
        return "ed25519-" + hashlib.sha256(self.public_bytes).hexdigest()[:16]

    def sign(self, claims: dict[str, Any]) -> str:
        return b64url(self.private.sign(canonical(claims)))


def load_or_create(data_dir: Path) -> SiteKey:
    """The site's key, made (readable by this user only) the first time it is needed."""
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        create_once(path, Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return SiteKey(key)


def qr_payload(verification_url: str, claims: dict[str, Any], signature: str) -> str:
    return f"{verification_url}#{PAYLOAD_PREFIX}.{b64url(canonical(claims))}.{signature}"


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    claims: dict[str, Any] | None = None


def parse_payload(text: str) -> tuple[dict[str, Any], str]:
    """(claims, signature) from QR text; ValueError if it is not a certificate payload."""
    _, _, fragment = text.strip().partition("#")
    parts = fragment.split(".")
    if len(parts) != 3 or parts[0] != PAYLOAD_PREFIX:
        raise ValueError("not a University Local certificate code")
    try:
        claims = orjson.loads(unb64url(parts[1]))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ValueError("the certificate code is damaged") from exc
    if not isinstance(claims, dict):
        raise ValueError("the certificate code is damaged")
    return claims, parts[2]


def verify_claims(claims: dict[str, Any], signature: str, public_key: str) -> Verdict:
    """Whether `signature` is the issuer's over exactly these claims."""
    try:
        key = Ed25519PublicKey.from_public_bytes(unb64url(public_key))
    except ValueError:
        return Verdict(False, "the public key is not an Ed25519 key")
    try:
        key.verify(unb64url(signature), canonical(claims))
    except (InvalidSignature, ValueError):
        return Verdict(False, "the signature does not match: the certificate was altered, or another key signed it",
                       claims)
    return Verdict(True, "signed by this key", claims)
