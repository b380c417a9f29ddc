"""Certificates and their templates as University API resources; the Open Badges credential and
the public key document, the shapes certificates take outside the API."""

from __future__ import annotations

from typing import Any

from university_local.certificates.models import CertificateStatus, Orientation, PaperSize
from university_local.certificates.signing import SiteKey
from university_local.core.db import Row, loads
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType


class TemplateAttributes(Attributes):
    name: str
    description: str | None
    html_template: str
    css_styles: str | None
    variables: list[str]
    paper_size: PaperSize
    orientation: Orientation
    created_at: Timestamp
    updated_at: Timestamp


class CertificateAttributes(Attributes):
    certificate_number: str
    user_id: str
    course_id: str | None
    path_id: str | None
    template_id: str | None
    recipient_name: str
    course_name: str
    issued_by: str
    issued_at: Timestamp
    custom_fields: dict[str, Any]
    verification_url: str
    pdf_url: str
    credential_url: str
    valid: bool
    status: CertificateStatus
    revoked_at: Timestamp | None
    revocation_reason: str | None
    forced_reason: str | None
    replaced_by: str | None


class VerifiedCertificate(Attributes):
    certificate_number: str
    recipient_name: str
    course_name: str
    issued_by: str
    issued_at: Timestamp
    status: CertificateStatus
    revoked_at: Timestamp | None = None
    revocation_reason: str | None = None


class Verification(Attributes):
    valid: bool
    certificate: VerifiedCertificate | None


class SiteKeyDocument(Attributes):
    site_id: str
    keys: list[dict[str, str]]


class Credential(Attributes):
    model_config = {"extra": "allow"}


TEMPLATE = ResourceType("certificate_template", TemplateAttributes)
CERTIFICATE = ResourceType("certificate", CertificateAttributes,
                           relationships={"user": "user", "course": "course", "template": "certificate_template"})


def template_resource(row: Row) -> dict[str, Any]:
    return resource("certificate_template", row["id"], {
        "name": row["name"], "description": row["description"], "html_template": row["html_template"],
        "css_styles": row["css_styles"], "variables": loads(row["variables"]), "paper_size": row["paper_size"],
        "orientation": row["orientation"], "created_at": row["created_at"], "updated_at": row["updated_at"],
    })


def certificate_resource(row: Row, base_url: str) -> dict[str, Any]:
    return resource("certificate", row["id"], {
        "certificate_number": row["certificate_number"], "user_id": row["user_id"], "course_id": row["course_id"],
        "path_id": row["path_id"], "template_id": row["template_id"], "recipient_name": row["recipient_name"],
        "course_name": row["course_name"], "issued_by": row["issued_by"], "issued_at": row["issued_at"],
        "custom_fields": {k: v for k, v in loads(row["custom_fields"]).items() if k != "instructor_name"},
        "verification_url": row["verification_url"], "pdf_url": pdf_url(row, base_url),
        "credential_url": f"{base_url}/v1/university/certificates/{row['id']}/credential",
        "valid": row["status"] == "valid", "status": row["status"], "revoked_at": row["revoked_at"],
        "revocation_reason": row["revocation_reason"], "forced_reason": row["forced_reason"],
        "replaced_by": row["replaced_by"],
    }, {"user": to_one("user", row["user_id"]), "course": to_one("course", row["course_id"]),
        "template": to_one("certificate_template", row["template_id"])})


def pdf_url(row: Row, base_url: str) -> str:
    """The PDF's public link, with its unguessable token: printed on the certificate, needs no key."""
    return f"{base_url}/certificates/{row['id']}/pdf/{row['pdf_token']}"


def verification(row: Row, signed: bool) -> dict[str, Any]:
    """The spec's public verification answer for a certificate."""
    certificate: dict[str, Any] = {
        "certificate_number": row["certificate_number"], "recipient_name": row["recipient_name"],
        "course_name": row["course_name"], "issued_by": row["issued_by"], "issued_at": row["issued_at"],
        "status": row["status"]}
    if row["status"] == "revoked":
        certificate |= {"revoked_at": row["revoked_at"], "revocation_reason": row["revocation_reason"]}
    return {"valid": signed and row["status"] == "valid", "certificate": certificate}


def key_document(site_id: str, key: SiteKey, site_code: str) -> dict[str, Any]:
    """The public key people use to check this site's certificates offline."""
    return {"site_id": site_id, "keys": [
        {"key_id": key.key_id, "algorithm": "Ed25519", "public_key": key.public_key, "site_code": site_code}]}


def credential(row: Row, base_url: str) -> dict[str, Any]:
    """The certificate as an Open Badges 3.0 / W3C Verifiable Credential shaped document.

    `proof.proofValue` is the Ed25519 signature over `proof.claims` exactly as given (the
    canonical JSON text the site signed), so a verifier needs no JSON canonicalisation library:
    check the signature over those bytes, then compare the claims with the rest of the document.
    """
    claims = loads(row["claims"])
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": row["verification_url"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{row['course_name']} - certificate {row['certificate_number']}",
        "issuer": {"id": f"urn:university-local:site:{claims['issuer']['site']}", "type": ["Profile"],
                   "name": row["issued_by"]},
        "validFrom": row["issued_at"],
        "credentialSubject": {
            "id": f"urn:university-local:user:{row['app_id']}:{row['user_id']}",
            "type": ["AchievementSubject"],
            "name": row["recipient_name"],
            "achievement": {
                "id": f"urn:university-local:{claims['achievement']['type']}:{claims['achievement']['id']}",
                "type": ["Achievement"], "name": row["course_name"],
                "criteria": {"narrative": "Completed every required lesson of the course."
                             if claims["achievement"]["type"] == "course"
                             else "Completed every required course of the learning path."},
            },
        },
        "credentialStatus": {"id": row["verification_url"], "type": "UniversityLocalStatus",
                             "status": row["status"], "revocationReason": row["revocation_reason"]},
        "proof": {
            "type": "DataIntegrityProof", "cryptosuite": "university-local-ed25519-claims-2026",
            "created": row["issued_at"], "proofPurpose": "assertionMethod",
            "verificationMethod": f"{base_url}/.well-known/university-local/keys#{row['key_id']}",
            "claims": row["claims"], "proofValue": row["signature"],
        },
    }
