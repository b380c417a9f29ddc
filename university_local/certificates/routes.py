"""Certificate endpoints (`router`, under the API prefix) and the public pages anyone can open
without a key (`pages`, at the server's root): the verification page, the PDF and the site key."""

from __future__ import annotations

import html
from typing import Any

from university_local.certificates import service
from university_local.certificates.models import (
    CertificateIssueBody,
    CertificateListQuery,
    Revocation,
    TemplateCreateBody,
    TemplateUpdateBody,
)
from university_local.certificates.resources import (
    CERTIFICATE,
    TEMPLATE,
    Credential,
    SiteKeyDocument,
    Verification,
    certificate_resource,
    credential,
    key_document,
    template_resource,
    verification,
)
from university_local.core.db import Row, Store
from university_local.core.errors import ApiError
from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.pagination import PageQuery
from university_local.core.routing import (
    NOTHING,
    LearnerQuery,
    Reply,
    Request,
    Router,
    many,
    one,
    plain,
    raw,
)
from university_local.core.site import public_url, site_id

router = Router("certificates", rate="certificates")
pages = Router("public pages")


# -- templates --------------------------------------------------------------------------------


@router.post("/certificate-templates", summary="Create a certificate template", body=TemplateCreateBody,
             returns=one(TEMPLATE), status=201)
def create_template(req: Request) -> dict[str, Any]:
    return document(template_resource(service.create_template(req.db, req.body.data.attributes)))


@router.get("/certificate-templates", summary="List certificate templates", query=PageQuery, returns=many(TEMPLATE))
def list_templates(req: Request) -> dict[str, Any]:
    rows, total = service.list_templates(req.db, req.query.window)
    return document([template_resource(r) for r in rows], meta=req.query.window.meta(total))


@router.get("/certificate-templates/<template_id>", summary="Get a certificate template", returns=one(TEMPLATE))
def get_template(req: Request, template_id: str) -> dict[str, Any]:
    return document(template_resource(service.get_template(req.db, template_id)))


@router.patch("/certificate-templates/<template_id>", summary="Update a certificate template",
              body=TemplateUpdateBody, returns=one(TEMPLATE))
def update_template(req: Request, template_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, template_id)
    row = service.update_template(req.db, template_id, patch_fields(req.body.data.attributes))
    return document(template_resource(row))


@router.delete("/certificate-templates/<template_id>", summary="Delete a certificate template", returns=NOTHING)
def delete_template(req: Request, template_id: str) -> None:
    service.delete_template(req.db, template_id)


# -- certificates -----------------------------------------------------------------------------


@router.get("/certificates/verify/<certificate_number>", summary="Verify a certificate (no key needed)",
            access="public", returns=plain(Verification))
def verify_certificate(req: Request, certificate_number: str) -> dict[str, Any]:
    return verification(*service.by_number(req.site, certificate_number))


@router.post("/certificates", summary="Issue a certificate (answers 200 with the existing one if issued before)",
             body=CertificateIssueBody, returns=one(CERTIFICATE), status=201)
def issue_certificate(req: Request) -> dict[str, Any] | Reply:
    row, created = service.issue(req.db, req.body.data.attributes)
    doc = document(certificate_resource(row, public_url(req.site)))
    return doc if created else Reply(doc, 200)


@router.get("/certificates", summary="List certificates (publishable keys: one learner's, with user_id)",
            query=CertificateListQuery, returns=many(CERTIFICATE))
def list_certificates(req: Request) -> dict[str, Any]:
    q: CertificateListQuery = req.query
    rows, total = service.list_certificates(req.db, q.window, user_id=req.learner(q.user_id),
                                            course_id=q.course_id, status=q.status)
    base = public_url(req.site)
    return document([certificate_resource(r, base) for r in rows], meta=q.window.meta(total))


@router.get("/certificates/<certificate_id>", summary="Get a certificate", query=LearnerQuery,
            returns=one(CERTIFICATE))
def get_certificate(req: Request, certificate_id: str) -> dict[str, Any]:
    row = service.get_certificate(req.db, certificate_id, req.learner(req.query.user_id))
    return document(certificate_resource(row, public_url(req.site)))


@router.get("/certificates/<certificate_id>/credential",
            summary="The certificate as a signed Open Badges 3.0 / Verifiable Credential document",
            query=LearnerQuery, returns=plain(Credential))
def get_credential(req: Request, certificate_id: str) -> dict[str, Any]:
    row = service.get_certificate(req.db, certificate_id, req.learner(req.query.user_id))
    return credential(row, public_url(req.site))


@router.get("/certificates/<certificate_id>/pdf", summary="Download the certificate's PDF", query=LearnerQuery,
            returns=raw("application/pdf"))
def get_pdf(req: Request, certificate_id: str) -> Reply:
    row = service.get_certificate(req.db, certificate_id, req.learner(req.query.user_id))
    return _pdf_response(req.site, row)


@router.post("/certificates/<certificate_id>/revoke", summary="Revoke a certificate", body=Revocation,
             returns=one(CERTIFICATE))
def revoke_certificate(req: Request, certificate_id: str) -> dict[str, Any]:
    row = service.revoke(req.db, certificate_id, req.body.reason)
    return document(certificate_resource(row, public_url(req.site)))


def _pdf_response(store: Store, row: Row) -> Reply:
    path = service.pdf_file(store, row)
    return Reply(open(path, "rb"), headers={  # noqa: SIM115 - the server streams and closes it
        "Content-Disposition": f'inline; filename="{row["certificate_number"]}.pdf"',
        "Content-Length": str(path.stat().st_size),
        "Cache-Control": "public, max-age=31536000, immutable",
    })


# -- public pages -----------------------------------------------------------------------------


@pages.get("/.well-known/university-local/keys", summary="This site's certificate signing key",
           access="public", returns=plain(SiteKeyDocument))
def site_keys(req: Request) -> dict[str, Any]:
    key = service.key_of(req.site)
    return key_document(site_id(req.site), key, service.site_code(key))


@pages.get("/certificates/<certificate_id>/pdf/<token>", summary="A certificate's PDF, by the link printed on it",
           access="public", returns=raw("application/pdf"))
def public_pdf(req: Request, certificate_id: str, token: str) -> Reply:
    return _pdf_response(req.site, service.by_link(req.site, certificate_id, token))


@pages.get("/verify/<certificate_number>", summary="The human-readable verification page", access="public",
           returns=raw("text/html; charset=utf-8"))
def verification_page(req: Request, certificate_number: str) -> Reply:
    try:
        answer = verification(*service.by_number(req.site, certificate_number))
    except ApiError:
        return _page(404, "Certificate not found", "unknown",
                     f"<p>No certificate numbered <b>{html.escape(certificate_number)}</b> was issued here.</p>")
    cert = answer["certificate"]
    rows = [("Number", cert["certificate_number"]), ("Awarded to", cert["recipient_name"]),
            ("For", cert["course_name"]), ("Issued by", cert["issued_by"]), ("Issued", cert["issued_at"][:10])]
    if cert["status"] == "revoked":
        rows += [("Revoked", (cert.get("revoked_at") or "")[:10]), ("Reason", cert.get("revocation_reason") or "")]
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    if answer["valid"]:
        return _page(200, "Valid certificate", "valid",
                     f"<p>This certificate is genuine and valid.</p><table>{table}</table>")
    return _page(200, "Certificate not valid", "invalid",
                 f"<p>This certificate is <b>not valid</b>.</p><table>{table}</table>")


def _page(status: int, title: str, state: str, body: str) -> Reply:
    colours = {"valid": "#1b7f3b", "invalid": "#b3261e", "unknown": "#555"}
    return Reply(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}}
h1{{color:{colours[state]}}}th{{text-align:left;padding:.3rem 1rem .3rem 0;color:#555}}td{{padding:.3rem 0}}</style>
</head><body><h1>{html.escape(title)}</h1>{body}</body></html>""", status,
                 {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
