"""Certificates: issuing, revoking, and their PDFs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, Unpack, cast
from urllib.parse import quote

from client.core import BaseClient, resource_document
from client.errors import ApiError
from client.types import CertificateStatus, Resource


class IssueFields(TypedDict, total=False):
    template_id: str | None
    custom_fields: Mapping[str, Any]
    force_reason: str | None  # secret keys: issue although the learner is not eligible, and say why
    reissue: bool  # a new certificate, revoking the learner's current one as replaced


class VerifiedCertificate(TypedDict):
    certificate_number: str
    recipient_name: str
    course_name: str
    issued_by: str
    issued_at: str
    status: CertificateStatus
    revoked_at: NotRequired[str | None]  # these two only when revoked
    revocation_reason: NotRequired[str | None]


class Verification(TypedDict):
    """The public verification answer: `valid` is false when revoked or when the signature fails."""

    valid: bool
    certificate: VerifiedCertificate | None


class CertificateCalls(BaseClient):
    def list_certificates(self, *, user_id: str | None = None, course_id: str | None = None,
                          status: CertificateStatus | None = None) -> list[Resource]:
        return self.every("/certificates", user_id=user_id, course_id=course_id, status=status)

    def get_certificate(self, certificate_id: str, *, user_id: str | None = None) -> Resource:
        return self.fetch(f"/certificates/{certificate_id}", user_id=user_id)

    def issue_certificate(self, user_id: str, course_id: str, **attributes: Unpack[IssueFields]) -> Resource:
        """Issue a learner's course certificate; one issued before comes back as it is (200, not 201)."""
        return self._one("POST", "/certificates", json=resource_document(
            "certificate", user_id=user_id, course_id=course_id, **attributes))

    def revoke_certificate(self, certificate_id: str, reason: str) -> Resource:
        return self._one("POST", f"/certificates/{certificate_id}/revoke", json={"reason": reason})

    def certificate_pdf(self, certificate_id: str, *, user_id: str | None = None) -> bytes:
        """The certificate's PDF: the same bytes on every download."""
        return self.download(f"/certificates/{certificate_id}/pdf", user_id=user_id)

    def verify_certificate(self, certificate_number: str) -> Verification | None:
        """What the server says of a certificate number (public: no key needed); None when no
        certificate of this site has that number."""
        try:
            answer = self.request("GET", f"/certificates/verify/{quote(certificate_number.strip(), safe='')}")
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return cast(Verification, answer)
