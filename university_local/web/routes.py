"""The learner web pages: sign-in, home, course, lesson, and the join card.

Each handler reads the learner's session, calls the feature services as the API does (with the
learner's scope: published courses only, their own records only), and renders a template. Forms
are plain posts that work without JavaScript; each carries the device's CSRF token and, where a
resend must count once, an operation id issued with the form. Errors answer as pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from university_local.assignments.service import list_assignments
from university_local.certificates.service import list_certificates
from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, loads
from university_local.core.errors import ApiError
from university_local.core.files import send_file
from university_local.core.html import sanitize_html
from university_local.core.network import learner_urls
from university_local.core.pagination import Page
from university_local.core.qr import qr_svg, wifi_payload
from university_local.core.routing import NOTHING, Reply, Request, Router, raw
from university_local.core.scope import Scope, Tenant
from university_local.courses.service import get_course, list_courses
from university_local.enrollments.service import enroll, find_enrollment, list_enrollments, progress_percent
from university_local.learning_paths.service import missing_prerequisites
from university_local.lessons.service import get_lesson, list_course_lessons
from university_local.modules.service import list_modules
from university_local.progress.service import ModuleProgress, course_progress, lesson_state, record
from university_local.quizzes.service import list_quizzes
from university_local.scorm.models import ScormLaunchCreate
from university_local.scorm.runtime_service import launch as scorm_launch
from university_local.tenancy.apps import embed_hosts
from university_local.web import service
from university_local.web.pages import (
    HTML,
    LANGUAGE_COOKIE,
    ORG_COOKIE,
    SESSION_COOKIE,
    STATIC,
    YEAR,
    Visit,
    cookie,
    error_page,
    local_target,
    posted,
    visit,
)
from university_local.web.service import Throttled, WrongSecret
from university_local.web.templating import LANGUAGES, gettext

pages = Router("learner pages", on_error=error_page)


# -- static files ---------------------------------------------------------------------------------------------


_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".svg": "image/svg+xml"}


@pages.get("/static/<name>", summary="The learner pages' stylesheet and script", access="public", returns=raw("*/*"))
def static_file(req: Request, name: str) -> Reply:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file() or path.suffix not in _STATIC_TYPES:
        raise ApiError(404, "not_found", "No such file.")
    versioned = bool(req.query_values("v"))
    return send_file(req, path, _STATIC_TYPES[path.suffix], f"web/{name}",
                     "public, max-age=31536000, immutable" if versioned else "public, max-age=300")


# -- signing in --------------------------------------------------------------------------------------------------


def _tenant(req: Request, app_id: str) -> Tenant:
    return Tenant(app_id, req.config.web_env)


def _signin_page(v: Visit, org: Row, *, status: int = 200, error: str | None = None, name: str = "",
                 query: str = "") -> Reply:
    db = v.req.site.scoped(Scope.staff(_tenant(v.req, org["id"])))
    names = service.class_list(db) if v.req.config.web_class_list else (
        service.find_learners(db, query) if len(query.strip()) >= 1 else [])
    several = len(service.organisations(v.req.site)) > 1
    return v.page("signin.html", status, org=org, error=error, name=name, query=query, names=names,
                  class_list=v.req.config.web_class_list, several_orgs=several,
                  ended=bool(v.req.query_values("ended")))


@pages.get("/signin", summary="Sign in", access="public", returns=raw(HTML))
def signin_form(req: Request) -> Reply:
    v = visit(req, signed_in=False)
    if v.learner is not None:
        return v.redirect("/")
    orgs = service.organisations(req.site)
    chosen = (req.query_values("org") or [req.cookie(ORG_COOKIE) or ""])[0]
    org = next((o for o in orgs if o["id"] == chosen), orgs[0] if len(orgs) == 1 else None)
    if org is None:
        return v.page("organisations.html", orgs=orgs, ended=bool(req.query_values("ended")))
    return _signin_page(v, org, query=(req.query_values("q") or [""])[0][:80])


@pages.get("/signin/names", summary="Learners' names for the sign-in type-ahead", access="public",
           returns=raw("application/json"))
def signin_names(req: Request) -> Reply:
    import orjson

    org = service.organisation(req.site, (req.query_values("org") or [""])[0])
    text = (req.query_values("q") or [""])[0][:80]
    if org is None or not text.strip():
        return Reply(b"[]", 200, {"Cache-Control": "no-store"}, "application/json")
    db = req.site.scoped(Scope.staff(_tenant(req, org["id"])))
    names = [row["display_name"] for row in service.find_learners(db, text)]
    return Reply(orjson.dumps(names), 200, {"Cache-Control": "no-store"}, "application/json")


@pages.post("/signin", summary="Sign in with a name and PIN or password", access="public", returns=raw(HTML))
def signin(req: Request) -> Reply:
    v, form = posted(req, signed_in=False)
    org = service.organisation(req.site, form.get("org", ""))
    if org is None:
        return v.redirect("/signin")
    name, secret = form.get("name", "").strip()[:200], form.get("secret", "")[:200]
    if not name or not secret:
        return _signin_page(v, org, status=422, name=name,
                            error=gettext(v.language, "Enter your name and your PIN or password."))
    db = req.site.scoped(Scope.staff(_tenant(req, org["id"])))
    try:
        token = service.sign_in(db, name, secret, v.device_id)
    except Throttled as paused:
        return _signin_page(v, org, status=429, name=name, error=gettext(
            v.language, "Too many wrong tries. Try again in %(seconds)s seconds.", seconds=paused.seconds))
    except WrongSecret:
        return _signin_page(v, org, status=401, name=name,
                            error=gettext(v.language, "That name and PIN do not match. Try again."))
    if v.learner is not None:
        service.sign_out(req.site, v.learner.token_hash)
    return v.redirect(local_target(form.get("next")), cookie(SESSION_COOKIE, token),
                      cookie(ORG_COOKIE, org["id"], YEAR))


@pages.post("/signout", summary="Sign out", access="public", returns=raw(HTML))
def signout(req: Request) -> Reply:
    v, _ = posted(req, signed_in=False)
    if v.learner is not None:
        service.sign_out(req.site, v.learner.token_hash)
    return v.redirect("/signin", cookie(SESSION_COOKIE, "", 0))


@pages.get("/language", summary="Choose the pages' language", access="public", returns=raw(HTML))
def choose_language(req: Request) -> Reply:
    v = visit(req, signed_in=False)
    chosen = (req.query_values("lang") or [""])[0]
    back = local_target((req.query_values("next") or ["/"])[0])
    if chosen not in LANGUAGES:
        return v.redirect(back)
    return v.redirect(back, cookie(LANGUAGE_COOKIE, chosen, YEAR))


# -- home and courses ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseCard:
    id: str
    title: str
    description: str | None
    progress: int
    status: str
    continue_lesson: str | None


def _my_courses(db: Db, user_id: str) -> list[CourseCard]:
    rows, _ = list_enrollments(db, Page(1, 100), user_id=user_id)
    cards = []
    for row in rows:
        if row["effective_status"] == "cancelled":
            continue
        try:
            course = get_course(db, row["course_id"])
        except ApiError:
            continue  # unpublished since: the learner no longer sees it
        current = course_progress(db, course["id"], user_id).current_lesson
        cards.append(CourseCard(course["id"], course["title"], course["description"], progress_percent(row),
                                row["effective_status"], current.lesson_id if current else None))
    return cards


@pages.get("/", summary="A learner's home page", access="public", returns=raw(HTML))
def home(req: Request) -> Reply:
    v = visit(req)
    assert v.learner is not None
    db = v.db
    mine = _my_courses(db, v.learner.user_id)
    enrolled = {card.id for card in mine}
    listed, _ = list_courses(db, Page(1, 100))
    open_ = [c for c in listed if c["id"] not in enrolled and loads(c["settings"]).get("self_enrollment")]
    resume = next((c for c in mine if c.status == "active" and c.continue_lesson), None)
    return v.page("home.html", courses=mine, open_courses=open_, resume=resume)


@dataclass(frozen=True)
class LessonLine:
    id: str
    title: str
    content_type: str
    minutes: int
    done: bool
    required: bool


@dataclass(frozen=True)
class ModuleBlock:
    id: str
    title: str
    description: str | None
    opens: str | None  # when a drip lock still holds: when it opens
    lessons: list[LessonLine]
    progress: float


@pages.get("/courses/<course_id>", summary="A course's modules and lessons", access="public", returns=raw(HTML))
def course_page(req: Request, course_id: str) -> Reply:
    v = visit(req)
    assert v.learner is not None
    db = v.db
    course = get_course(db, course_id)
    user = v.learner.user_id
    enrollment = _enrollment(db, user, course_id)
    progress = course_progress(db, course_id, user) if enrollment is not None else None
    done = {c.lesson_id for c in progress.lessons_completed} if progress else set()
    module_progress = {m.module_id: m.progress for m in progress.modules} if progress else {}
    lessons = list_course_lessons(db, course_id)
    now = now_iso()
    blocks = []
    for module in list_modules(db, course_id):
        opens = module["unlock_at"] if module["unlock_at"] and module["unlock_at"] > now else None
        blocks.append(ModuleBlock(
            module["id"], module["title"], module["description"], v.when(opens) if opens else None,
            [LessonLine(lesson["id"], lesson["title"], lesson["content_type"], lesson["duration_minutes"],
                        lesson["id"] in done, bool(lesson["required"]))
             for lesson in lessons if lesson["module_id"] == module["id"]],
            module_progress.get(module["id"], 0.0)))
    settings = loads(course["settings"])
    missing: list[str] = []
    if enrollment is None:
        missing_ids, _ = missing_prerequisites(db, user, course_id)
        missing = [_title(db, cid) for cid in missing_ids]
    current = progress.current_lesson.lesson_id if progress and progress.current_lesson else None
    return v.page("course.html", course=course, modules=blocks, enrollment=enrollment, progress=progress,
                  current=current, can_enroll=bool(settings.get("self_enrollment")), missing=missing,
                  op=service.new_operation_id())


def _enrollment(db: Db, user_id: str, course_id: str) -> Row | None:
    """The learner's enrollment in the course, unless there is none or it was cancelled."""
    row = find_enrollment(db, user_id, course_id)
    return row if row is not None and row["effective_status"] != "cancelled" else None


def _title(db: Db, course_id: str) -> str:
    try:
        return str(get_course(db, course_id)["title"])
    except ApiError:
        return course_id


@pages.post("/courses/<course_id>/enroll", summary="Enroll in a course", access="public", returns=raw(HTML))
def enroll_page(req: Request, course_id: str) -> Reply:
    v, form = posted(req)
    assert v.learner is not None
    db = v.db
    try:
        with db.transaction():
            if service.first_use(db, form.get("op", ""), v.learner.user_id):
                enroll(db, v.learner.user_id, course_id, None)
    except ApiError as err:
        if err.errors[0].get("code") != "already_enrolled":
            raise
    return v.redirect(f"/courses/{quote(course_id)}")


# -- lessons ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Neighbours:
    previous: Row | None
    next: Row | None


def _neighbours(lessons: list[Row], lesson_id: str) -> Neighbours:
    ids = [lesson["id"] for lesson in lessons]
    at = ids.index(lesson_id) if lesson_id in ids else -1
    return Neighbours(lessons[at - 1] if at > 0 else None,
                      lessons[at + 1] if 0 <= at < len(lessons) - 1 else None)


# The content types a learner completes by hand; the others complete by what the learner does in them
# (a video watched to the end, a quiz passed, an assignment submitted, a SCORM package's own status).
BY_HAND = {"text", "document", "embed", "video"}


@pages.get("/lessons/<lesson_id>", summary="A lesson", access="public", returns=raw(HTML))
def lesson_page(req: Request, lesson_id: str) -> Reply:
    v = visit(req)
    assert v.learner is not None
    db = v.db
    lesson = get_lesson(db, lesson_id)
    course = get_course(db, lesson["course_id"])
    user = v.learner.user_id
    enrollment = _enrollment(db, user, course["id"])
    if enrollment is None and not lesson["free_preview"]:
        raise ApiError(303, "see_other", "Enroll first.", headers={"Location": f"/courses/{quote(course['id'])}"})
    module = next(m for m in list_modules(db, course["id"]) if m["id"] == lesson["module_id"])
    if module["unlock_at"] and module["unlock_at"] > now_iso():
        return v.page("locked.html", 403, course=course, lesson=lesson, opens=v.when(module["unlock_at"]))
    progress = course_progress(db, course["id"], user) if enrollment is not None else None
    record_row = lesson_state(db, lesson_id, user)
    content = loads(lesson["content"])
    quiz_id = content.get("quiz_id")
    if lesson["content_type"] == "quiz" and not quiz_id:  # a quiz placed on the lesson by its lesson_id
        found, _ = list_quizzes(db, Page(1, 1), lesson_id=lesson_id, course_id=None)
        quiz_id = found[0]["id"] if found else None
    assignment_id = content.get("assignment_id")
    if lesson["content_type"] == "assignment" and not assignment_id:  # placed on the lesson by its lesson_id
        placed, _ = list_assignments(db, Page(1, 1), lesson_id=lesson_id, course_id=None)
        assignment_id = placed[0]["id"] if placed else None
    embed_allowed = True
    if lesson["content_type"] == "embed":
        host = (urlsplit(content.get("embed_url", "")).hostname or "").lower()
        embed_allowed = any(host == h or host.endswith("." + h) for h in embed_hosts(req.site, course["app_id"]))
    scorm_url, scorm_error = None, False
    if lesson["content_type"] == "scorm" and enrollment is not None:
        try:  # the player opens inside the page; its Exit comes back here
            request = ScormLaunchCreate.model_validate({"lesson_id": lesson_id, "user_id": user,
                                                        "return_url": f"/lessons/{quote(lesson_id)}"})
            scorm_url = scorm_launch(db, request).path
        except ApiError:  # no package yet, or an enrollment that has expired
            scorm_error = True
    download_url = content.get("document_url") or content.get("video_url")
    if download_url and download_url.startswith("/media/"):  # this server's media: a download, whatever the browser
        download_url += "?download=1"
    return v.page(
        "lesson.html", course=course, lesson=lesson, module=module, content=content, download_url=download_url,
        scorm_url=scorm_url, scorm_error=scorm_error,
        html=sanitize_html(content.get("html", "")) if lesson["content_type"] == "text" else "",
        enrolled=enrollment is not None, progress=progress,
        completed=bool(record_row and record_row["completed_at"]),
        position=record_row["position"] if record_row else 0,
        by_hand=lesson["content_type"] in BY_HAND, embed_allowed=embed_allowed, quiz_id=quiz_id,
        assignment_id=assignment_id,
        around=_neighbours(list_course_lessons(db, course["id"]), lesson_id), op=service.new_operation_id())


@pages.post("/lessons/<lesson_id>/complete", summary="Mark a lesson complete", access="public", returns=raw(HTML))
def complete_page(req: Request, lesson_id: str) -> Reply:
    v, form = posted(req)
    assert v.learner is not None
    db = v.db
    with db.transaction():
        if service.first_use(db, form.get("op", ""), v.learner.user_id):
            record(db, lesson_id, v.learner.user_id, position=None, time_spent_seconds=None, complete=True)
    target = local_target(form.get("next"), f"/lessons/{quote(lesson_id)}")
    return v.redirect(target)


@pages.post("/lessons/<lesson_id>/position", summary="Save where the learner is in a lesson (the page's script)",
            access="public", returns=NOTHING)
def position_page(req: Request, lesson_id: str) -> Reply:
    v, form = posted(req)
    assert v.learner is not None
    try:
        position = max(0, int(float(form.get("position", "0"))))
        spent = max(0, min(3600, int(float(form.get("time_spent_seconds", "0")))))
    except ValueError:
        raise ApiError(422, "validation_error", "position: a number of seconds") from None
    db = v.db
    op = form.get("op", "")
    if op:  # a resend from the page's outbox: the time it carries counts once
        with db.transaction():
            if not service.first_use(db, op, v.learner.user_id):
                return Reply(None, 204, {"Cache-Control": "no-store"}, HTML, tuple(v.cookies))
    try:
        record(db, lesson_id, v.learner.user_id, position=position, time_spent_seconds=spent,
               complete=form.get("complete") == "1")
    except Exception:
        if op:
            service.forget_operation(db, op)
        raise
    return Reply(None, 204, {"Cache-Control": "no-store"}, HTML, tuple(v.cookies))



# -- the join card ------------------------------------------------------------------------------------------------


@pages.get("/join", summary="The printable join card: the learner URL as a QR code", access="public",
           returns=raw(HTML))
def join_card(req: Request) -> Reply:
    """For the wall or the whiteboard. The address is read afresh on every view, so a reprint after
    the machine's address changed is right; the address this page was reached by comes first."""
    v = visit(req, signed_in=False)
    config = req.config
    port = config.port
    urls = [url + "/" for url in learner_urls(config.host, port)]
    reached = (req.header("Host") or "").rsplit(":", 1)[0]
    urls.sort(key=lambda url: urlsplit(url).hostname != reached)
    url = urls[0]
    orgs = service.organisations(req.site)
    wifi = None
    if config.wifi_ssid:
        wifi = qr_svg(wifi_payload(config.wifi_ssid, config.wifi_password, config.wifi_security),
                      title=gettext(v.language, "Wi-Fi QR code for %(ssid)s", ssid=config.wifi_ssid))
    return v.page("join.html", url=url, others=urls[1:], qr=qr_svg(url, title=gettext(
        v.language, "QR code of %(url)s", url=url)), orgs=[o["name"] for o in orgs], wifi=wifi,
        ssid=config.wifi_ssid, password=config.wifi_password,
        mdns=f"http://{config.mdns_name}.local:{port}/" if config.mdns else None)


# -- my progress and my certificates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseReport:
    card: CourseCard
    modules: list[ModuleProgress]
    minutes: int


@pages.get("/my/progress", summary="The learner's progress, per course and module", access="public",
           returns=raw(HTML))
def my_progress(req: Request) -> Reply:
    v = visit(req)
    assert v.learner is not None
    db = v.db
    reports = []
    for card in _my_courses(db, v.learner.user_id):
        progress = course_progress(db, card.id, v.learner.user_id)
        reports.append(CourseReport(card, progress.modules, progress.total_time_spent_minutes))
    return v.page("progress.html", reports=reports)


@dataclass(frozen=True)
class CertificateCard:
    id: str
    number: str
    course_name: str
    issued: str
    valid: bool
    pdf_url: str
    verification_url: str
    qr: str


@pages.get("/my/certificates", summary="The learner's certificates", access="public", returns=raw(HTML))
def my_certificates(req: Request) -> Reply:
    v = visit(req)
    assert v.learner is not None
    rows, _ = list_certificates(v.db, Page(1, 100), user_id=v.learner.user_id, course_id=None, status=None)
    cards = [CertificateCard(
        row["id"], row["certificate_number"], row["course_name"], v.when(row["issued_at"], with_time=False),
        row["status"] == "valid", f"/certificates/{quote(row['id'])}/pdf/{quote(row['pdf_token'])}",
        row["verification_url"],
        qr_svg(row["verification_url"], title=gettext(v.language, "QR code of %(url)s", url=row["verification_url"])))
        for row in rows]
    return v.page("certificates.html", certificates=cards)
