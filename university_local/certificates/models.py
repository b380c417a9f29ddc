"""Certificate and template request models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.models import ApiModel, Description, Title, envelope, unchanged
from university_local.core.pagination import PageQuery

PaperSize = Literal["A4", "Letter"]
Orientation = Literal["landscape", "portrait"]
CertificateStatus = Literal["valid", "revoked"]
Ref = Field(min_length=1, max_length=128)


HTML_TEMPLATE = "HTML with {{variable}} placeholders; see the docs for the tags."
CSS_STYLES = "Kept for clients that render the HTML themselves; the PDF uses the HTML's tags."


class TemplateCreate(ApiModel):
    name: Title
    description: Description | None = None
    html_template: str = Field(min_length=1, max_length=50_000, description=HTML_TEMPLATE)
    css_styles: str | None = Field(None, max_length=20_000, description=CSS_STYLES)
    variables: list[str] = Field(default_factory=list, max_length=50)
    paper_size: PaperSize = "A4"
    orientation: Orientation = "landscape"


class TemplateUpdate(ApiModel):
    name: Title = unchanged()
    description: Description | None = unchanged()
    html_template: str = unchanged(min_length=1, max_length=50_000, description=HTML_TEMPLATE)
    css_styles: str | None = unchanged(max_length=20_000, description=CSS_STYLES)
    variables: list[str] = unchanged(max_length=50)
    paper_size: PaperSize = unchanged()
    orientation: Orientation = unchanged()


TemplateCreateBody = envelope("certificate_template", TemplateCreate, name="TemplateCreateBody")
TemplateUpdateBody = envelope("certificate_template", TemplateUpdate, name="TemplateUpdateBody")


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
