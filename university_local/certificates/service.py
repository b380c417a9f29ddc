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
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from university_local.certificates import pdf, signing, templates
from university_local.certificates.models import CertificateIssue, TemplateCreate
from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, Store, dumps, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit
from university_local.core.files import write_durably
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.core.site import public_url, site_id
from university_local.courses.service import get_course
from university_local.learning_paths.service import completed_paths

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TEMPLATE_COLUMNS = ("name", "description", "html_template", "css_styles", "variables", "paper_size", "orientation")
DEFAULT_TEMPLATE = {"html_template": templates.DEFAULT_TEMPLATE, "variables": "[]", "paper_size": "A4",
                    "orientation": "landscape"}


# -- the site ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def site_key(data_dir: Path) -> signing.SiteKey:
    return signing.load_or_create(data_dir)


def key_of(store: Store) -> signing.SiteKey:
    """The site's signing key, made on first use (the server makes it at start-up)."""
    return site_key(store.path.parent.resolve())


def site_code(key: signing.SiteKey) -> str:
    digest = int.from_bytes(hashlib.sha256(key.public_bytes).digest()[:4], "big")
    return "".join(CROCKFORD[(digest >> (5 * i)) & 31] for i in reversed(range(6)))


# -- templates --------------------------------------------------------------------------------


def create_template(db: Db, attrs: TemplateCreate) -> Row:
    template_id, now = new_id("template"), now_iso()
    cleaned = templates.clean_template(attrs.html_template, attrs.variables, pointer="/data/attributes")
    with db.transaction():
        db.insert("certificate_templates", {
            "id": template_id, "name": attrs.name, "description": attrs.description, "html_template": cleaned,
            "css_styles": attrs.css_styles, "variables": dumps(attrs.variables), "paper_size": attrs.paper_size,
            "orientation": attrs.orientation, "created_at": now, "updated_at": now, "deleted_at": None,
        })
    return get_template(db, template_id)


def get_template(db: Db, template_id: str, *, pointer: str | None = None) -> Row:
    row = db.one("SELECT * FROM certificate_templates WHERE app_id = :app AND env = :env AND id = :id "
                 "AND deleted_at IS NULL", {"id": template_id})
    if row is None:
        err = not_found("certificate_template", template_id)
        if pointer:
            err.errors[0]["source"] = {"pointer": pointer}
        raise err
    return row


def list_templates(db: Db, page: Page) -> tuple[list[Row], int]:
    where = "FROM certificate_templates WHERE app_id = :app AND env = :env AND deleted_at IS NULL"
    params = {"limit": page.size, "offset": page.offset}
    total = db.scalar("SELECT COUNT(*) " + where, params)
    return db.all(f"SELECT * {where} ORDER BY id LIMIT :limit OFFSET :offset", params), total


def update_template(db: Db, template_id: str, changes: dict[str, Any]) -> Row:
    with db.transaction():
        current = get_template(db, template_id)
        update = {c: v for c, v in changes.items() if c in _TEMPLATE_COLUMNS}
        if "html_template" in update or "variables" in update:
            variables = update.get("variables", loads(current["variables"]))
            update["html_template"] = templates.clean_template(
                update.get("html_template", current["html_template"]), variables, pointer="/data/attributes")
            update["variables"] = dumps(variables)
        if update:
            db.update("certificate_templates", template_id, {**update, "updated_at": now_iso()})
    return get_template(db, template_id)


def delete_template(db: Db, template_id: str) -> None:
    """Certificates already issued keep their PDF; new ones can no longer use the template."""
    with db.transaction():
        get_template(db, template_id)
        now = now_iso()
        db.update("certificate_templates", template_id, {"deleted_at": now, "updated_at": now})


# -- issuing ----------------------------------------------------------------------------------


def unmet_requirements(db: Db, user_id: str, course_id: str) -> list[str]:
    """Why the learner may not have the course's certificate yet (empty: they may)."""
    unmet = []
    params = {"user": user_id, "course": course_id}
    status = db.scalar("SELECT status FROM enrollments WHERE app_id = :app AND env = :env AND user_id = :user "
                       "AND course_id = :course", params)
    if status != "completed":
        unmet.append("the course is not completed" if status else "the learner is not enrolled in the course")
    unpassed = db.all(
        "SELECT q.title FROM quizzes q WHERE q.app_id = :app AND q.env = :env AND q.course_id = :course "
        "AND q.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM quiz_attempts a WHERE a.quiz_id = q.id "
        "AND a.user_id = :user AND a.passed = 1 AND +a.app_id = :app AND +a.env = :env) ORDER BY q.id", params)
    unmet += [f"the quiz '{q['title']}' is not passed" for q in unpassed]
    return unmet


def issue(db: Db, attrs: CertificateIssue) -> tuple[Row, bool]:
    """Issue a course certificate; return it and whether it is new (False: the learner's existing
    one). Its PDF is made now, while the issuer waits, so that downloads are instant."""
    pointer = "/data/attributes"
    with db.transaction():
        try:
            course = get_course(db, attrs.course_id)
        except ApiError as err:
            err.errors[0]["source"] = {"pointer": f"{pointer}/course_id"}
            raise
        template = get_template(db, attrs.template_id, pointer=f"{pointer}/template_id") \
            if attrs.template_id else None
        _check_custom_fields(template, attrs.custom_fields)
        existing = _current(db, attrs.user_id, attrs.course_id)
        if existing is not None and not attrs.reissue:
            return existing, False
        unmet = unmet_requirements(db, attrs.user_id, attrs.course_id)
        if unmet and attrs.force_reason is None:
            raise ApiError(422, "not_eligible", f"User '{attrs.user_id}' cannot have this certificate yet: "
                           + "; ".join(unmet) + ". A secret key may issue it anyway with a force_reason.",
                           pointer=f"{pointer}/user_id")
        recipient = _recipient(db, attrs.user_id, pointer=f"{pointer}/user_id")
        enrollment = db.one("SELECT id, completed_at FROM enrollments WHERE app_id = :app AND env = :env "
                            "AND user_id = :user AND course_id = :course",
                            {"user": attrs.user_id, "course": attrs.course_id})
        certificate_id = _insert(
            db, user_id=attrs.user_id, recipient=recipient, achievement=("course", course["id"]),
            title=course["title"], instructor=_instructor(db, course), template=template,
            custom_fields=attrs.custom_fields, enrollment_id=enrollment["id"] if enrollment else None,
            completed_at=enrollment["completed_at"] if enrollment else None,
            forced_reason=attrs.force_reason if unmet else None)
        if existing is not None:
            _revoke(db, existing, f"Replaced by a reissued certificate ({certificate_id}).", replaced_by=certificate_id)
    row = get_certificate(db, certificate_id)
    pdf_file(db.site, row)
    return row, True


def on_course_completed(db: Db, user_id: str, course_id: str, completed_at: str) -> str | None:
    """Certificates earned by completing a course, issued inside the completion's transaction:
    the course's own (if it gives one and the learner has met its quiz rules), and that of every
    learning path the course completes. Returns the course certificate's id. PDFs are made later,
    on first download, to keep the completion quick. Whoever completed it, the rules read the
    course whole."""
    db = db.as_staff()
    for path in completed_paths(db, user_id, course_id):
        _path_certificate(db, user_id, path, completed_at)
    course = get_course(db, course_id)
    settings = loads(course["settings"])
    if not settings.get("certificate_enabled") or _current(db, user_id, course_id) is not None:
        return None
    if any("quiz" in reason for reason in unmet_requirements(db, user_id, course_id)):
        return None
    enrollment_id = db.scalar("SELECT id FROM enrollments WHERE app_id = :app AND env = :env AND user_id = :user "
                              "AND course_id = :course", {"user": user_id, "course": course_id})
    return _insert(db, user_id=user_id, recipient=_recipient(db, user_id), achievement=("course", course_id),
                   title=course["title"], instructor=_instructor(db, course),
                   template=_usable_template(db, settings.get("certificate_template_id")), custom_fields={},
                   enrollment_id=enrollment_id, completed_at=completed_at, forced_reason=None)


def _path_certificate(db: Db, user_id: str, path: Row, completed_at: str) -> None:
    """One certificate per learner and path, whatever order its courses were finished in."""
    if db.scalar("SELECT 1 FROM certificates WHERE app_id = :app AND env = :env AND user_id = :user "
                 "AND path_id = :path AND status = 'valid'", {"user": user_id, "path": path["id"]}):
        return
    _insert(db, user_id=user_id, recipient=_recipient(db, user_id), achievement=("learning_path", path["id"]),
            title=path["title"], instructor=None, template=_usable_template(db, path["certificate_id"]),
            custom_fields={}, enrollment_id=None, completed_at=completed_at, forced_reason=None)


def _usable_template(db: Db, template_id: str | None) -> Row | None:
    """The template for an automatic certificate; the built-in one if it is gone or needs fields
    that nobody is there to give."""
    if not template_id:
        return None
    template = db.one("SELECT * FROM certificate_templates WHERE app_id = :app AND env = :env AND id = :id "
                      "AND deleted_at IS NULL", {"id": template_id})
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


def _current(db: Db, user_id: str, course_id: str) -> Row | None:
    return db.one("SELECT * FROM certificates WHERE app_id = :app AND env = :env AND user_id = :user "
                  "AND course_id = :course AND status = 'valid' ORDER BY id DESC LIMIT 1",
                  {"user": user_id, "course": course_id})


def _display_name(db: Db, user_id: str) -> str | None:
    name: str | None = db.scalar("SELECT display_name FROM users WHERE app_id = :app AND env = :env AND id = :id",
                                 {"id": user_id})
    return name


def _recipient(db: Db, user_id: str, pointer: str | None = None) -> str:
    name = _display_name(db, user_id)
    if name is None:
        raise ApiError(422, "user_not_found", f"User '{user_id}' does not exist.", pointer=pointer)
    return str(name)


def _instructor(db: Db, course: Row) -> str | None:
    name = _display_name(db, course["instructor_id"]) if course["instructor_id"] else None
    return str(name) if name else None


def _insert(db: Db, *, user_id: str, recipient: str, achievement: tuple[str, str], title: str,
            instructor: str | None, template: Row | None, custom_fields: dict[str, Any],
            enrollment_id: str | None, completed_at: str | None, forced_reason: str | None) -> str:
    """Number, sign and store a certificate, and emit `certificate.issued`. The sequence counts up
    on this site, across its organisations, so the number is the site's own."""
    now = now_iso()
    year = int(now[:4])
    key = key_of(db.site)
    sequence = (db.site.scalar("SELECT MAX(sequence) FROM certificates WHERE year = ?", (year,)) or 0) + 1
    number = f"CERT-{year}-{site_code(key)}-{sequence:07d}"
    certificate_id = new_id("cert")
    issuer = db.site.scalar("SELECT name FROM apps WHERE id = ?", (db.tenant.app_id,)) or db.tenant.app_id
    kind, achievement_id = achievement
    claims = {
        "number": number,
        "recipient": {"id": user_id, "name": recipient},
        "achievement": {"type": kind, "id": achievement_id, "name": title},
        "issuer": {"name": issuer, "site": site_id(db.site), "key": key.key_id},
        "issued_at": now,
        "completed_at": completed_at,
    }
    verification_url = f"{public_url(db.site)}/verify/{number}"
    db.insert("certificates", {
        "id": certificate_id, "certificate_number": number, "year": year, "sequence": sequence, "user_id": user_id,
        "course_id": achievement_id if kind == "course" else None,
        "path_id": achievement_id if kind == "learning_path" else None,
        "enrollment_id": enrollment_id, "template_id": template["id"] if template else None,
        "custom_fields": dumps(custom_fields | ({"instructor_name": instructor} if instructor else {})),
        "recipient_name": recipient, "course_name": title, "issued_by": issuer, "issued_at": now,
        "completed_at": completed_at, "claims": signing.canonical(claims).decode(), "signature": key.sign(claims),
        "key_id": key.key_id, "verification_url": verification_url, "pdf_token": secrets.token_urlsafe(16),
        "status": "valid", "forced_reason": forced_reason, "updated_at": now,
    })
    emit(db, "certificate.issued", "certificate", certificate_id, {
        "certificate_id": certificate_id, "certificate_number": number, "user_id": user_id,
        "course_id": achievement_id if kind == "course" else None,
        "path_id": achievement_id if kind == "learning_path" else None,
        "issued_at": now, "verification_url": verification_url, "forced": forced_reason is not None,
    })
    return certificate_id


# -- reading, revoking, verifying ---------------------------------------------------------------


def get_certificate(db: Db, certificate_id: str, user_id: str | None = None) -> Row:
    row = db.one("SELECT * FROM certificates WHERE app_id = :app AND env = :env AND id = :id", {"id": certificate_id})
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise not_found("certificate", certificate_id)
    return row


def list_certificates(db: Db, page: Page, *, user_id: str | None, course_id: str | None,
                      status: str | None) -> tuple[list[Row], int]:
    where = "FROM certificates WHERE app_id = :app AND env = :env"
    params = {"user": user_id, "course": course_id, "status": status, "limit": page.size, "offset": page.offset}
    for column, name in (("user_id", "user"), ("course_id", "course"), ("status", "status")):
        if params[name] is not None:
            where += f" AND {column} = :{name}"
    total = db.scalar("SELECT COUNT(*) " + where, params)
    return db.all(f"SELECT * {where} ORDER BY id LIMIT :limit OFFSET :offset", params), total


def revoke(db: Db, certificate_id: str, reason: str) -> Row:
    with db.transaction():
        row = get_certificate(db, certificate_id)
        if row["status"] == "revoked":
            raise ApiError(409, "already_revoked", f"This certificate was revoked at {row['revoked_at']}.")
        _revoke(db, row, reason)
    return get_certificate(db, certificate_id)


def _revoke(db: Db, row: Row, reason: str, replaced_by: str | None = None) -> None:
    """Revocation is a change like any other: it goes into the outbox to travel with sync."""
    now = now_iso()
    db.update("certificates", row["id"], {"status": "revoked", "revoked_at": now, "revocation_reason": reason,
                                          "replaced_by": replaced_by, "updated_at": now})
    emit(db, "certificate.revoked", "certificate", row["id"], {
        "certificate_id": row["id"], "certificate_number": row["certificate_number"], "user_id": row["user_id"],
        "revoked_at": now, "reason": reason, "replaced_by": replaced_by})


def by_number(store: Store, number: str) -> tuple[Row, bool]:
    """The certificate with this number, of any organisation on this site (verification is public),
    and whether its signature holds; `certificate_not_found` otherwise."""
    row = store.one("SELECT * FROM certificates WHERE certificate_number = ?", (number.strip().upper(),))
    if row is None:
        raise not_found("certificate", number)
    return row, signing.verify_claims(loads(row["claims"]), row["signature"], key_of(store).public_key).valid


def by_link(store: Store, certificate_id: str, token: str) -> Row:
    """The certificate a PDF link names: its id and its unguessable token, no key needed."""
    row = store.one("SELECT * FROM certificates WHERE id = ? AND pdf_token = ?", (certificate_id, token))
    if row is None:
        raise ApiError(404, "certificate_not_found", "No certificate has this link.")
    return row


# -- the PDF ------------------------------------------------------------------------------------


def pdf_file(store: Store, row: Row) -> Path:
    """The certificate's PDF, made the first time it is asked for and kept from then on (the row
    was found by the caller's scope or by its link)."""
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
    write_durably(path, data)  # the same bytes whoever gets here first
    with store.transaction() as tx:
        tx.execute("UPDATE certificates SET pdf_sha256 = ? WHERE id = ?", (hashlib.sha256(data).hexdigest(), row["id"]))
    return path


def _long_date(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{moment.day} {moment.strftime('%B %Y')}"
