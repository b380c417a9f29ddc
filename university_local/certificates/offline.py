"""Checking a certificate with no server: from its QR text, its PDF or its credential document.

All three carry the signed claims and the signature (see signing.py); this module only finds
them. It never needs the database, so `university-local certificates verify` works on any
machine that has the issuer's public key. What it cannot know offline is a revocation made after
the certificate was printed: the verification page answers that once there is a network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from university_local.certificates import signing


def read_evidence(source: str) -> tuple[dict[str, Any], str]:
    """(claims, signature) from QR text, or a file holding a PDF, a credential or QR text."""
    path = Path(source)
    if "#" in source or not path.exists():
        return signing.parse_payload(source)
    data = path.read_bytes()
    if data.startswith(b"%PDF"):
        return signing.parse_payload(_pdf_subject(path))
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        return _from_credential(json.loads(text))
    return signing.parse_payload(text)


def _pdf_subject(path: Path) -> str:
    """The PDF carries the QR code's text in its Subject metadata as well."""
    from pypdf import PdfReader

    metadata = PdfReader(path).metadata
    subject = metadata.get("/Subject") if metadata is not None else None
    if not subject:
        raise ValueError(f"{path} is not a University Local certificate PDF")
    return str(subject)


def _from_credential(document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The proof's claims, after checking the readable parts of the document say the same."""
    proof = document.get("proof") or {}
    try:
        claims = json.loads(proof["claims"])
        signature = proof["proofValue"]
        subject = document["credentialSubject"]
        agrees = (subject["name"] == claims["recipient"]["name"]
                  and subject["achievement"]["name"] == claims["achievement"]["name"]
                  and str(document["id"]).endswith(claims["number"]))
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError("not a University Local credential document") from exc
    if not agrees:
        return {**claims, "_mismatch": True}, signature  # fails verification: the document was edited
    return claims, signature


def verify(source: str, public_key: str) -> signing.Verdict:
    try:
        claims, signature = read_evidence(source)
    except ValueError as exc:
        return signing.Verdict(False, str(exc))
    return signing.verify_claims(claims, signature, public_key)


def describe(claims: dict[str, Any]) -> str:
    return (f"{claims['number']}: awarded to {claims['recipient']['name']} for {claims['achievement']['name']}, "
            f"issued by {claims['issuer']['name']} on {claims['issued_at'][:10]}")
