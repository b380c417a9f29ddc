"""Certificate and template request and response models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from university_local.core.models import ApiModel, Attributes, Description, Timestamp, Title, envelope
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

PaperSize = Literal["A4", "Letter"]
Orientation = Literal["landscape", "portrait"]
CertificateStatus = Literal["valid", "revoked"]
Ref = Field(min_length=1, max_length=128)


class TemplateFields(ApiModel):
    name: Title | None = None
    description: Description | None = None
    html_template: str | None = Field(None, min_length=1, max_length=50_000,
                                      description="HTML with {{variable}} placeholders; see the docs for the tags.")
    css_styles: str | None = Field(None, max_length=20_000, description="Kept for clients that render the HTML "
                                                                         "themselves; the PDF uses the HTML's tags.")
    variables: list[str] | None = Field(None, max_length=50)
    paper_size: PaperSize | None = None
    orientation: Orientation | None = None


class TemplateCreate(TemplateFields):
    name: Title
    html_template: str = Field(min_length=1, max_length=50_000)
    variables: list[str] = Field(default_factory=list, max_length=50)
    paper_size: PaperSize = "A4"
    orientation: Orientation = "landscape"


TemplateCreateBody = envelope("certificate_template", TemplateCreate, name="TemplateCreateBody")
TemplateUpdateBody = envelope("certificate_template", TemplateFields, name="TemplateUpdateBody")


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


class CertificateIssue(ApiModel):
    user_id: str = Ref
    course_id: str = Ref
    template_id: str | None = Field(None, min_length=1, max_length=128,
                                    description="Null: the built-in completion certificate.")
    custom_fields: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=50)
    force_reason: str | None = Field(None, min_length=3, max_length=1000,
                                     description="Issue although the learner is not eligible, and why.")
    reissue: bool = Field(False, description="Issue a new certificate (new number) even if one exists; "
                                             "the old one is revoked as replaced.")


CertificateIssueBody = envelope("certificate", CertificateIssue, name="CertificateIssueBody")


class Revocation(ApiModel):
    reason: str = Field(min_length=3, max_length=1000)


class CertificateListQuery(PageQuery):
    user_id: str | None = None
    course_id: str | None = None
    status: CertificateStatus | None = None


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
