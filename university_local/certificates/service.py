"""Certificates: who may have one, issuing, numbering, the PDF, verification and revocation.

Numbers look like `CERT-2026-K3M9QX-0001234`: the year, this site's code (six characters drawn
from the SHA-256 of the site's public key, so no two sites need to agree on anything, and a
collision between sites would need about a billion of them) and a sequence that counts up on
this site within the year. Certificates are issued inside the writer's transaction, so
concurrent issues never take the same number.

A learner is eligible for a course certificate when their enrollment is completed and they have
passed every quiz of the course. A secret key may issue anyway by giving a `force_reason`,
which is kept on the certificate. Issuing again for the same learner and course answers with
the certificate they have, unless `reissue` asks for a new one (the old one is then revoked as
replaced).
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from university_local.certificates import pdf, signing, templates
from university_local.certificates.models import CertificateIssue, TemplateCreate
from university_local.core.clock import now_iso
from university_local.core.db import Row, Store, dumps, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit, site_id
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_one
from university_local.core.pagination import Page
from university_local.courses.service import get_course
from university_local.learning_paths.service import completed_paths
from university_local.tenancy.models import Tenant

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TEMPLATE_COLUMNS = ("name", "description", "html_template", "css_styles", "variables", "paper_size", "orientation")
DEFAULT_TEMPLATE = {"html_template": templates.DEFAULT_TEMPLATE, "variables": "[]", "paper_size": "A4",
                    "orientation": "landscape"}


# -- the site ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def site_key(data_dir: Path) -> signing.SiteKey:
    return signing.load_or_create(data_dir)


def key_of(store: Store) -> signing.SiteKey:
    return site_key(store.path.parent.resolve())


def site_code(key: signing.SiteKey) -> str:
    digest = int.from_bytes(hashlib.sha256(key.public_bytes).digest()[:4], "big")
    return "".join(CROCKFORD[(digest >> (5 * i)) & 31] for i in reversed(range(6)))


def set_public_url(store: Store, url: str) -> None:
    """Record where this server is reached (done at start-up), for links on new certificates."""
    if store.scalar("SELECT public_url FROM site") != url:
        with store.transaction() as db:
            db.execute("UPDATE site SET public_url = ?", (url,))


def public_url(store: Store) -> str:
    return store.scalar("SELECT public_url FROM site") or "http://localhost:8080"


def key_document(store: Store) -> dict[str, Any]:
    """The public key people use to check this site's certificates offline."""
    key = key_of(store)
    return {"site_id": site_id(store.db.conn), "keys": [
        {"key_id": key.key_id, "algorithm": "Ed25519", "public_key": key.public_key, "site_code": site_code(key)}]}


# -- templates --------------------------------------------------------------------------------


def create_template(store: Store, tenant: Tenant, attrs: TemplateCreate) -> Row:
    template_id, now = new_id("template"), now_iso()
    cleaned = templates.clean_template(attrs.html_template, attrs.variables, pointer="/data/attributes")
    with store.transaction() as db:
        db.table("certificate_templates").insert({
            "id": template_id, "app_id": tenant.app_id, "env": tenant.env, "name": attrs.name,
            "description": attrs.description, "html_template": cleaned, "css_styles": attrs.css_styles,
            "variables": dumps(attrs.variables), "paper_size": attrs.paper_size, "orientation": attrs.orientation,
            "created_at": now, "updated_at": now, "deleted_at": None,
        })
    return get_template(store, tenant, template_id)


def get_template(store: Store, tenant: Tenant, template_id: str, *, pointer: str | None = None) -> Row:
    row = store.one("SELECT * FROM certificate_templates WHERE app_id = ? AND env = ? AND id = ? AND deleted_at IS NULL",
                    (tenant.app_id, tenant.env, template_id))
    if row is None:
        err = not_found("certificate_template", template_id)
        if pointer:
            err.errors[0]["source"] = {"pointer": pointer}
        raise err
    return row


def list_templates(store: Store, tenant: Tenant, page: Page) -> tuple[list[Row], int]:
    where = "FROM certificate_templates WHERE app_id = ? AND env = ? AND deleted_at IS NULL"
    params = (tenant.app_id, tenant.env)
    total = store.scalar("SELECT COUNT(*) " + where, params)
    return store.all(f"SELECT * {where} ORDER BY id LIMIT ? OFFSET ?", (*params, page.size, page.offset)), total


def update_template(store: Store, tenant: Tenant, template_id: str, changes: dict[str, Any]) -> Row:
    with store.transaction() as db:
        current = get_template(store, tenant, template_id)
        for name in ("name", "html_template", "variables", "paper_size", "orientation"):
            if name in changes and changes[name] is None:
                raise ApiError(422, "validation_error", f"{name} cannot be null.", pointer=f"/data/attributes/{name}")
        update = {c: v for c, v in changes.items() if c in _TEMPLATE_COLUMNS}
        if "html_template" in update or "variables" in update:
            variables = update.get("variables", loads(current["variables"]))
            update["html_template"] = templates.clean_template(
                update.get("html_template", current["html_template"]), variables, pointer="/data/attributes")
            update["variables"] = dumps(variables)
        if update:
            db.table("certificate_templates").update(template_id, {**update, "updated_at": now_iso()})
    return get_template(store, tenant, template_id)


def delete_template(store: Store, tenant: Tenant, template_id: str) -> None:
    """Certificates already issued keep their PDF; new ones can no longer use the template."""
    with store.transaction() as db:
        get_template(store, tenant, template_id)
        now = now_iso()
        db.table("certificate_templates").update(template_id, {"deleted_at": now, "updated_at": now})


def template_resource(row: Row) -> dict[str, Any]:
    return resource("certificate_template", row["id"], {
        "name": row["name"], "description": row["description"], "html_template": row["html_template"],
        "css_styles": row["css_styles"], "variables": loads(row["variables"]), "paper_size": row["paper_size"],
        "orientation": row["orientation"], "created_at": row["created_at"], "updated_at": row["updated_at"],
    })


# -- issuing ----------------------------------------------------------------------------------


def unmet_requirements(store: Store, tenant: Tenant, user_id: str, course_id: str) -> list[str]:
    """Why the learner may not have the course's certificate yet (empty: they may)."""
    unmet = []
    status = store.scalar(
        "SELECT status FROM enrollments WHERE app_id = ? AND env = ? AND user_id = ? AND course_id = ?",
        (tenant.app_id, tenant.env, user_id, course_id))
    if status != "completed":
        unmet.append("the course is not completed" if status else "the learner is not enrolled in the course")
    unpassed = store.all(
        "SELECT q.title FROM quizzes q WHERE q.app_id = ? AND q.env = ? AND q.course_id = ? AND q.deleted_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.quiz_id = q.id AND a.user_id = ? AND a.passed = 1) "
        "ORDER BY q.id", (tenant.app_id, tenant.env, course_id, user_id))
    unmet += [f"the quiz '{q['title']}' is not passed" for q in unpassed]
    return unmet


def issue(store: Store, tenant: Tenant, attrs: CertificateIssue) -> tuple[Row, bool]:
    """Issue a course certificate; return it and whether it is new (False: the learner's existing one)."""
    pointer = "/data/attributes"
    with store.transaction() as db:
        try:
            course = get_course(store, tenant, attrs.course_id)
        except ApiError as err:
            err.errors[0]["source"] = {"pointer": f"{pointer}/course_id"}
            raise
        template = get_template(store, tenant, attrs.template_id, pointer=f"{pointer}/template_id") \
            if attrs.template_id else None
        _check_custom_fields(template, attrs.custom_fields)
        existing = _current(store, tenant, attrs.user_id, attrs.course_id)
        if existing is not None and not attrs.reissue:
            return existing, False
        unmet = unmet_requirements(store, tenant, attrs.user_id, attrs.course_id)
        if unmet and attrs.force_reason is None:
            raise ApiError(422, "not_eligible", f"User '{attrs.user_id}' cannot have this certificate yet: "
                           + "; ".join(unmet) + ". A secret key may issue it anyway with a force_reason.",
                           pointer=f"{pointer}/user_id")
        recipient = _recipient(store, tenant, attrs.user_id, pointer=f"{pointer}/user_id")
        enrollment = store.one("SELECT id, completed_at FROM enrollments WHERE app_id = ? AND env = ? "
                               "AND user_id = ? AND course_id = ?", (tenant.app_id, tenant.env, attrs.user_id,
                                                                     attrs.course_id))
        certificate_id = _insert(
            store, db, tenant, user_id=attrs.user_id, recipient=recipient, achievement=("course", course["id"]),
            title=course["title"], instructor=_instructor(store, tenant, course), template=template,
            custom_fields=attrs.custom_fields, enrollment_id=enrollment["id"] if enrollment else None,
            completed_at=enrollment["completed_at"] if enrollment else None,
            forced_reason=attrs.force_reason if unmet else None)
        if existing is not None:
            _revoke(db, tenant, existing, f"Replaced by a reissued certificate ({certificate_id}).", replaced_by=certificate_id)
    return get_certificate(store, tenant, certificate_id), True


def on_course_completed(store: Store, db: Any, tenant: Tenant, user_id: str, course_id: str,
                        completed_at: str) -> str | None:
    """Certificates earned by completing a course, issued inside the completion's transaction:
    the course's own (if it gives one and the learner has met its quiz rules), and that of every
    learning path the course completes. Returns the course certificate's id. PDFs are made later,
    on first download, to keep the completion quick."""
    for path in completed_paths(store, tenant, user_id, course_id):
        _path_certificate(store, db, tenant, user_id, path, completed_at)
    course = get_course(store, tenant, course_id)
    settings = loads(course["settings"])
    if not settings.get("certificate_enabled") or _current(store, tenant, user_id, course_id) is not None:
        return None
    if any("quiz" in reason for reason in unmet_requirements(store, tenant, user_id, course_id)):
        return None
    enrollment_id = store.scalar("SELECT id FROM enrollments WHERE app_id = ? AND env = ? AND user_id = ? "
                                 "AND course_id = ?", (tenant.app_id, tenant.env, user_id, course_id))
    return _insert(store, db, tenant, user_id=user_id, recipient=_recipient(store, tenant, user_id),
                   achievement=("course", course_id), title=course["title"],
                   instructor=_instructor(store, tenant, course),
                   template=_usable_template(store, settings.get("certificate_template_id")), custom_fields={},
                   enrollment_id=enrollment_id, completed_at=completed_at, forced_reason=None)


def _path_certificate(store: Store, db: Any, tenant: Tenant, user_id: str, path: Row, completed_at: str) -> None:
    """One certificate per learner and path, whatever order its courses were finished in."""
    if store.scalar("SELECT 1 FROM certificates WHERE app_id = ? AND env = ? AND user_id = ? AND path_id = ? "
                    "AND status = 'valid'", (tenant.app_id, tenant.env, user_id, path["id"])):
        return
    _insert(store, db, tenant, user_id=user_id, recipient=_recipient(store, tenant, user_id),
            achievement=("learning_path", path["id"]), title=path["title"], instructor=None,
            template=_usable_template(store, path["certificate_id"]), custom_fields={}, enrollment_id=None,
            completed_at=completed_at, forced_reason=None)


def _usable_template(store: Store, template_id: str | None) -> Row | None:
    """The template for an automatic certificate; the built-in one if it is gone or needs fields
    that nobody is there to give."""
    if not template_id:
        return None
    template = store.one("SELECT * FROM certificate_templates WHERE id = ? AND deleted_at IS NULL", (template_id,))
    if template is None or templates.custom_variables(loads(template["variables"])):
        return None
    return template


def _check_custom_fields(template: Row | None, fields: dict[str, Any]) -> None:
    if template is None:
        return
    for name in templates.custom_variables(loads(template["variables"])):
        if name not in fields:
            raise ApiError(422, "missing_custom_field", f"The template prints '{name}'; give it in custom_fields.",
                           pointer=f"/data/attributes/custom_fields/{name}")


def _current(store: Store, tenant: Tenant, user_id: str, course_id: str) -> Row | None:
    return store.one("SELECT * FROM certificates WHERE app_id = ? AND env = ? AND user_id = ? AND course_id = ? "
                     "AND status = 'valid' ORDER BY id DESC LIMIT 1", (tenant.app_id, tenant.env, user_id, course_id))


def _recipient(store: Store, tenant: Tenant, user_id: str, pointer: str | None = None) -> str:
    name = store.scalar("SELECT display_name FROM users WHERE app_id = ? AND env = ? AND id = ?",
                        (tenant.app_id, tenant.env, user_id))
    if name is None:
        raise ApiError(422, "user_not_found", f"User '{user_id}' does not exist.", pointer=pointer)
    return str(name)


def _instructor(store: Store, tenant: Tenant, course: Row) -> str | None:
    if not course["instructor_id"]:
        return None
    name = store.scalar("SELECT display_name FROM users WHERE app_id = ? AND env = ? AND id = ?",
                        (tenant.app_id, tenant.env, course["instructor_id"]))
    return str(name) if name else None


def _insert(store: Store, db: Any, tenant: Tenant, *, user_id: str, recipient: str, achievement: tuple[str, str],
            title: str, instructor: str | None, template: Row | None, custom_fields: dict[str, Any],
            enrollment_id: str | None, completed_at: str | None, forced_reason: str | None) -> str:
    """Number, sign and store a certificate, and emit `certificate.issued`."""
    now = now_iso()
    year = int(now[:4])
    key = key_of(store)
    sequence = (db.execute("SELECT MAX(sequence) FROM certificates WHERE year = ?", (year,)).fetchone()[0] or 0) + 1
    number = f"CERT-{year}-{site_code(key)}-{sequence:07d}"
    certificate_id = new_id("cert")
    issuer = store.scalar("SELECT name FROM apps WHERE id = ?", (tenant.app_id,)) or tenant.app_id
    kind, achievement_id = achievement
    claims = {
        "number": number,
        "recipient": {"id": user_id, "name": recipient},
        "achievement": {"type": kind, "id": achievement_id, "name": title},
        "issuer": {"name": issuer, "site": site_id(db.conn), "key": key.key_id},
        "issued_at": now,
        "completed_at": completed_at,
    }
    verification_url = f"{public_url(store)}/verify/{number}"
    db.table("certificates").insert({
        "id": certificate_id, "app_id": tenant.app_id, "env": tenant.env, "certificate_number": number,
        "year": year, "sequence": sequence, "user_id": user_id,
        "course_id": achievement_id if kind == "course" else None,
        "path_id": achievement_id if kind == "learning_path" else None,
        "enrollment_id": enrollment_id, "template_id": template["id"] if template else None,
        "custom_fields": dumps(custom_fields | ({"instructor_name": instructor} if instructor else {})),
        "recipient_name": recipient, "course_name": title, "issued_by": issuer, "issued_at": now,
        "completed_at": completed_at, "claims": signing.canonical(claims).decode(), "signature": key.sign(claims),
        "key_id": key.key_id, "verification_url": verification_url, "pdf_token": secrets.token_urlsafe(16),
        "status": "valid", "forced_reason": forced_reason, "updated_at": now,
    })
    emit(db, tenant, "certificate.issued", "certificate", certificate_id, {
        "certificate_id": certificate_id, "certificate_number": number, "user_id": user_id,
        "course_id": achievement_id if kind == "course" else None,
        "path_id": achievement_id if kind == "learning_path" else None,
        "issued_at": now, "verification_url": verification_url, "forced": forced_reason is not None,
    })
    return certificate_id


# -- reading, revoking, verifying ---------------------------------------------------------------


def get_certificate(store: Store, tenant: Tenant, certificate_id: str, user_id: str | None = None) -> Row:
    row = store.one("SELECT * FROM certificates WHERE app_id = ? AND env = ? AND id = ?",
                    (tenant.app_id, tenant.env, certificate_id))
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise not_found("certificate", certificate_id)
    return row


def list_certificates(store: Store, tenant: Tenant, page: Page, *, user_id: str | None, course_id: str | None,
                      status: str | None) -> tuple[list[Row], int]:
    where, params = "FROM certificates WHERE app_id = :app AND env = :env", {
        "app": tenant.app_id, "env": tenant.env, "user": user_id, "course": course_id, "status": status,
        "limit": page.size, "offset": page.offset}
    for column, name in (("user_id", "user"), ("course_id", "course"), ("status", "status")):
        if params[name] is not None:
            where += f" AND {column} = :{name}"
    total = store.scalar("SELECT COUNT(*) " + where, params)
    return store.all(f"SELECT * {where} ORDER BY id LIMIT :limit OFFSET :offset", params), total


def revoke(store: Store, tenant: Tenant, certificate_id: str, reason: str) -> Row:
    with store.transaction() as db:
        row = get_certificate(store, tenant, certificate_id)
        if row["status"] == "revoked":
            raise ApiError(409, "already_revoked", f"This certificate was revoked at {row['revoked_at']}.")
        _revoke(db, tenant, row, reason)
    return get_certificate(store, tenant, certificate_id)


def _revoke(db: Any, tenant: Tenant, row: Row, reason: str, replaced_by: str | None = None) -> None:
    """Revocation is a change like any other: it goes into the outbox to travel with sync."""
    now = now_iso()
    db.execute("UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?, replaced_by = ?, "
               "updated_at = ? WHERE id = ?", (now, reason, replaced_by, now, row["id"]))
    emit(db, tenant, "certificate.revoked", "certificate", row["id"], {
        "certificate_id": row["id"], "certificate_number": row["certificate_number"], "user_id": row["user_id"],
        "revoked_at": now, "reason": reason, "replaced_by": replaced_by})


def verify(store: Store, number: str) -> dict[str, Any]:
    """The spec's public verification answer for a certificate number (any organisation on this site)."""
    row = store.one("SELECT * FROM certificates WHERE certificate_number = ?", (number.strip().upper(),))
    if row is None:
        raise not_found("certificate", number)
    signed = signing.verify_claims(loads(row["claims"]), row["signature"], key_of(store).public_key).valid
    certificate: dict[str, Any] = {
        "certificate_number": row["certificate_number"], "recipient_name": row["recipient_name"],
        "course_name": row["course_name"], "issued_by": row["issued_by"], "issued_at": row["issued_at"],
        "status": row["status"]}
    if row["status"] == "revoked":
        certificate |= {"revoked_at": row["revoked_at"], "revocation_reason": row["revocation_reason"]}
    return {"valid": signed and row["status"] == "valid", "certificate": certificate}


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
    return f"{base_url}/certificates/{row['id']}/pdf/{row['pdf_token']}"


# -- the PDF and the credential ------------------------------------------------------------------


def pdf_file(store: Store, row: Row) -> Path:
    """The certificate's PDF, made the first time it is asked for and kept from then on."""
    path = store.path.parent / "certificates" / f"{row['id']}.pdf"
    if path.exists():
        return path
    template = store.one("SELECT * FROM certificate_templates WHERE id = ?", (row["template_id"],)) \
        if row["template_id"] else None
    claims = loads(row["claims"])
    fields = loads(row["custom_fields"])
    day = _long_date(row["completed_at"] or row["issued_at"])
    values = {**fields, "student_name": row["recipient_name"], "course_name": row["course_name"],
              "completion_date": day, "issued_at": _long_date(row["issued_at"]),
              "certificate_number": row["certificate_number"], "organisation_name": row["issued_by"]}
    data = pdf.render(
        template=dict(template) if template is not None else DEFAULT_TEMPLATE, values=values,
        number=row["certificate_number"], verification_url=row["verification_url"],
        qr_text=signing.qr_payload(row["verification_url"], claims, row["signature"]), signature=row["signature"],
        key_id=row["key_id"], issued_by=row["issued_by"], issued_at=datetime.fromisoformat(row["issued_at"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)  # the same bytes whoever gets here first
    store.write("UPDATE certificates SET pdf_sha256 = ? WHERE id = ?", (hashlib.sha256(data).hexdigest(), row["id"]))
    return path


def _long_date(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{moment.day} {moment.strftime('%B %Y')}"


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

