"""Generate a large tenant with years of learning history, for the analytics benchmark (issue 7).

    python bench/generate_tenant.py --data-dir DIR [--learners 10000] [--courses 200]
        [--events 1000000] [--years 2] [--seed 7] [--force]

Builds a real University Local data directory: migrated with the project's migrations, an app
with a secret test key (written to DIR/bench-key.txt), and a tenant that looks like a school
that has used the server for `--years` years. The catalogue, enrollments, quiz attempts,
certificates, learning paths and ratings are inserted with direct SQL, filling every column the
services would. The learning history is written through the real write path's SQL: every
progress event executes `progress.service._UPSERT`, in time order, so the triggers of migration
0011 log it to `learning_activity` exactly as live traffic would; then `analytics.rollups.catch_up`
(what the scheduler runs) folds the log into the rollups, and the rollups are checked to add up
to the log. DIR/bench-meta.json says what was generated (the benchmark's ids, the digests of the
migrations and of rollups.py, the counts) so `bench/analytics.py` can reuse the directory. The
whole run takes 1.5-3 minutes on a 2-core machine, single-process; the database is about 350 MB.

What learners do (the whole plan is drawn from one seeded random generator, relative to the
moment generation starts, so that every period up to "today" has data; the same seed gives the
same catalogue and learners, while ids and a few counts move with the date, as weekends do):
- each learner enrolls in 1-8 courses (popular courses more often; one course, the export
  target, has exactly 2,000 learners), at times spread over the years, more in recent months;
- they study in sessions on some days (a gap of days drawn from their own diligence, fewer
  sessions at weekends, now and then a pause of weeks), doing 1-4 lessons a session and
  saving progress several times a lesson (position and time spent growing);
- some lessons are left half-done and finished next session; optional lessons are often skipped;
- quiz lessons are completed by passing the quiz: each attempt is answered and then graded by
  the quizzes feature's own graders; after three failures a learner gives up;
- learners drop out: before any lesson with a chance set by the course and their persistence,
  much more at each course's one or two hard lessons;
- a completed enrollment gets its certificate (when the course gives one), and many learners
  rate the courses they finished (fewer those they did not).

No events (webhook outbox rows) are written for this history: no webhook is subscribed, and the
outbox plays no part in analytics.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import random
import secrets
import sqlite3
import sys
import time
from array import array
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import running_server_on

from university_local.analytics.rollups import catch_up
from university_local.certificates import signing
from university_local.certificates.service import site_code
from university_local.core.clock import to_iso
from university_local.core.db import Store, dumps
from university_local.courses.models import CourseSettings
from university_local.courses.service import slugify
from university_local.lessons.content import clean_content, duration_minutes
from university_local.progress.service import _UPSERT
from university_local.quizzes.questions import Question, grade_answer
from university_local.tenancy.apps import DEFAULT_EMBED_HOSTS, ensure_app
from university_local.tenancy.keys import create_key
from university_local.tenancy.models import Environment

APP_ID = "bench-analytics"
APP_NAME = "Rift Valley Learning Centre"
ENV: Environment = "test"
TIME_ZONE, UTC_OFFSET_MINUTES = "Africa/Nairobi", 180  # no daylight saving time: the offset never moves
BIG_COURSE_LEARNERS = 2000
KEY_FILE, META_FILE = "bench-key.txt", "bench-meta.json"
DAY_MS = 86_400_000
BATCH = 100_000  # progress events per transaction

CATEGORIES = {
    "web-development": ["HTML and CSS", "JavaScript", "Web Accessibility", "Responsive Design"],
    "data-science": ["Spreadsheets for Data", "Statistics with Python", "Data Visualisation", "Survey Analysis"],
    "mathematics": ["Algebra", "Geometry", "Probability", "Calculus"],
    "physics": ["Mechanics", "Electricity and Magnetism", "Waves and Optics", "Energy"],
    "chemistry": ["Atoms and Bonds", "Organic Chemistry", "Lab Safety", "Chemical Reactions"],
    "biology": ["Cell Biology", "Human Anatomy", "Ecology", "Genetics"],
    "agriculture": ["Soil Science", "Crop Protection", "Dairy Farming", "Irrigation"],
    "business": ["Starting a Business", "Marketing Basics", "Customer Service", "Negotiation"],
    "accounting": ["Bookkeeping", "Financial Statements", "Payroll", "Tax Basics"],
    "english": ["English Grammar", "Business Writing", "Public Speaking", "Reading Skills"],
    "kiswahili": ["Kiswahili Sarufi", "Fasihi Simulizi", "Insha", "Mazungumzo"],
    "health": ["First Aid", "Nutrition", "Community Health", "Hygiene and Sanitation"],
    "computer-basics": ["Using a Computer", "Word Processing", "Internet Safety", "Email and Calendars"],
    "electrical": ["Domestic Wiring", "Solar Installation", "Electronics Repair", "Motor Control"],
    "history": ["East African History", "World History", "Civics", "Geography"],
}
FIRST_NAMES = ["Amani", "Wanjiru", "Otieno", "Achieng", "Kamau", "Njeri", "Mutua", "Atieno", "Kiptoo", "Chebet",
               "Baraka", "Zawadi", "Juma", "Halima", "Omondi", "Nyambura", "Mwangi", "Wambui", "Kibet", "Jelagat",
               "Grace", "Peter", "Mary", "John", "Faith", "David", "Esther", "Daniel", "Mercy", "Brian",
               "Zoë", "José", "Fatuma", "Hassan", "Aisha", "Ibrahim", "Nia", "Tumaini", "Imani", "Wekesa"]
LAST_NAMES = ["Mwangi", "Otieno", "Kamau", "Wanjiku", "Kariuki", "Ochieng", "Njoroge", "Kiprono", "Mutai", "Odhiambo",
              "Chege", "Wafula", "Barasa", "Onyango", "Muthoni", "Kimani", "Langat", "Rotich", "Nyaga", "Owino",
              "Achola", "Juma", "Hassan", "Mohamed", "Ali", "Korir", "Cheruiyot", "Macharia", "Gitau", "Nduta"]
REVIEWS = ["Clear and practical.", "The videos helped a lot.", "Too fast in the middle modules.",
           "I use this at work every day.", "The quizzes were hard but fair.", "Good examples from real life.",
           "Some lessons need updating.", "Excellent instructor.", "I wish there were more exercises."]


@dataclass
class Params:
    learners: int = 10_000
    courses: int = 200
    events: int = 1_000_000
    years: float = 2.0
    seed: int = 7


@dataclass
class Lesson:
    id: str
    course: int
    kind: str  # video | text | document | quiz
    minutes: int
    scale: int  # what a position counts up to: a video's seconds, else 100 (progress.service._scale)
    required: bool
    hazard: float  # extra chance of dropping out before this lesson (the course's hard lessons)
    quiz: int = -1  # index into quizzes for a quiz lesson


@dataclass
class Course:
    id: str
    category: str
    title: str
    lessons: list[int] = field(default_factory=list)  # indexes into lessons, in course order
    required: int = 0
    base_hazard: float = 0.03
    quality: float = 4.0  # mean rating
    certificate: bool = True
    instructor: int = 0
    created_ms: int = 0


@dataclass
class Quiz:
    id: str
    course: int
    lesson: int
    questions: list[Any]  # validated question models (quizzes.questions)
    total_points: int
    passing_score: float = 70.0


@dataclass
class Learner:
    id: str
    name: str
    email: str
    gap_days: float  # mean days between study sessions
    per_session: int  # most lessons in one session
    hour: int  # preferred local hour
    weekend: float  # chance of studying on a weekend day
    persistence: float  # multiplies the chance of dropping out
    skill: float  # chance of answering a question right
    speed: float  # multiplies the minutes a lesson takes
    joined_ms: int = 0


@dataclass(slots=True)
class Touch:
    """One learner working on one lesson in one session: one or more progress events."""

    user: int
    lesson: int
    start_ms: int
    duration_ms: int
    time_before: int  # seconds spent on the lesson before this touch
    seconds: int  # seconds this touch adds
    pos_before: int
    pos_after: int
    completes: bool
    quiz_seconds: int = -1  # >= 0: the completion by a passed quiz (position untouched)


@dataclass(slots=True)
class Enrollment:
    id: str
    user: int
    course: int
    enrolled_ms: int
    status: str = "active"
    completed_ms: int | None = None
    cancelled_ms: int | None = None
    last_ms: int | None = None  # last activity


def ulid_at(rng: random.Random, prefix: str, moment_ms: int) -> str:
    """An id like core.ids.new_id's, but for a moment in the past (ids sort by creation time)."""
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    value = (moment_ms << 80) | rng.getrandbits(79)
    return prefix + "-" + "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(26)))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso(ms: int) -> str:
    return to_iso(_EPOCH + timedelta(milliseconds=ms))  # exact: no float rounding of the milliseconds


class Generator:
    def __init__(self, data_dir: Path, params: Params) -> None:
        self.dir, self.p = data_dir, params
        self.rng = random.Random(params.seed)
        self.now_ms = int(time.time() * 1000)
        self.start_ms = self.now_ms - int(params.years * 365 * DAY_MS)
        self.learners: list[Learner] = []
        self.instructors: list[tuple[str, str]] = []
        self.courses: list[Course] = []
        self.lessons: list[Lesson] = []
        self.quizzes: list[Quiz] = []
        self.paths: list[tuple[str, str, list[int], int]] = []  # id, title, courses, created
        self.enrollments: list[Enrollment] = []
        self.touches: list[Touch] = []
        self.attempts: list[tuple[Any, ...]] = []
        self.modules: list[tuple[Any, ...]] = []
        self.lesson_rows: list[tuple[Any, ...]] = []

    # -- the plan --------------------------------------------------------------------------

    def plan_catalogue(self) -> None:
        rng = self.rng
        for n in range(20):
            self.instructors.append((f"instructor-{n + 1:02d}", f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"))
        names = list(CATEGORIES)
        titles: set[str] = set()
        for c in range(self.p.courses):
            category = names[c % len(names)]
            level = 1
            topic = rng.choice(CATEGORIES[category])
            while f"{topic} {level}" in titles:
                topic, level = rng.choice(CATEGORIES[category]), level + (rng.random() < 0.3)
            titles.add(f"{topic} {level}")
            created = self.start_ms - rng.randint(1, 90) * DAY_MS
            course = Course(ulid_at(rng, "course", created), category, f"{topic} {level}",
                            base_hazard=rng.uniform(0.015, 0.06), quality=rng.uniform(3.2, 4.8),
                            certificate=rng.random() < 0.8, instructor=rng.randrange(len(self.instructors)),
                            created_ms=created)
            self.courses.append(course)
            self._plan_structure(c, course, big=(c == 0))

    def _plan_structure(self, c: int, course: Course, big: bool) -> None:
        """2-6 modules and 4-12 lessons (the export target: 6 and 12); a quiz ends every second module."""
        rng = self.rng
        module_count = 6 if big else rng.randint(2, 6)
        lesson_count = 12 if big else max(module_count, rng.randint(4, 12))
        sizes = [1] * module_count
        for _ in range(lesson_count - module_count):
            sizes[rng.randrange(module_count)] += 1
        hard = set(rng.sample(range(1, lesson_count), k=min(lesson_count - 1, rng.randint(1, 2))))
        at = course.created_ms
        n = 0
        for m, size in enumerate(sizes):
            module_id = ulid_at(rng, "module", at)
            self.modules.append((module_id, c, f"Module {m + 1}", m + 1, size, at))
            for position in range(1, size + 1):
                quiz_lesson = m % 2 == 1 and position == size and size > 1
                kind = "quiz" if quiz_lesson else rng.choices(["video", "text", "document"], [50, 38, 12])[0]
                lesson_id = ulid_at(rng, "lesson", at)
                required = quiz_lesson or n == 0 or rng.random() > 0.1
                lesson = Lesson(lesson_id, c, kind, 0, 100, required, rng.uniform(0.06, 0.18) if n in hard else 0.0)
                raw: dict[str, Any]
                if kind == "video":
                    seconds = rng.randint(180, 1500)
                    raw = {"video_url": f"https://media.example.org/v/{lesson_id}.mp4", "duration_seconds": seconds}
                    lesson.scale = seconds
                elif kind == "text":
                    raw = {"html": f"<h2>Part {n + 1}</h2><p>Read this section and take notes.</p>",
                           "estimated_reading_minutes": rng.randint(5, 20)}
                elif kind == "document":
                    raw = {"document_url": f"https://media.example.org/d/{lesson_id}.pdf", "file_name": "handout.pdf",
                           "mime_type": "application/pdf", "page_count": rng.randint(2, 30),
                           "estimated_minutes": rng.randint(10, 30)}
                else:
                    lesson.quiz = len(self.quizzes)
                    quiz_id = ulid_at(rng, "quiz", at)
                    raw = {"quiz_id": quiz_id, "estimated_minutes": 10}
                    self.quizzes.append(self._plan_quiz(quiz_id, c, len(self.lessons)))
                content = clean_content(kind, raw, DEFAULT_EMBED_HOSTS)
                lesson.minutes = duration_minutes(kind, content)
                self.lesson_rows.append((lesson_id, c, module_id, f"Lesson {n + 1}", position, kind, dumps(content),
                                         lesson.minutes, int(required), at))
                course.lessons.append(len(self.lessons))
                course.required += required
                self.lessons.append(lesson)
                n += 1

    def _plan_quiz(self, quiz_id: str, c: int, lesson: int) -> Quiz:
        rng = self.rng
        raw: list[dict[str, Any]] = []
        for q in range(rng.randint(5, 10)):
            kind = rng.choice(["multiple_choice", "multiple_choice", "true_false", "fill_blank", "matching"])
            text = f"Question {q + 1}"
            if kind == "multiple_choice":
                right = rng.randrange(4)
                raw.append({"type": kind, "question": text, "points": rng.choice([1, 1, 2]),
                            "options": [{"text": f"Option {o + 1}", "correct": o == right} for o in range(4)]})
            elif kind == "true_false":
                raw.append({"type": kind, "question": text, "correct_answer": rng.random() < 0.5})
            elif kind == "fill_blank":
                raw.append({"type": kind, "question": text, "correct_answers": ["photosynthesis", "Photosynthesis"]})
            else:
                raw.append({"type": kind, "question": text, "points": 2,
                            "pairs": [{"left": f"Term {i}", "right": f"Meaning {i}"} for i in range(4)]})
        questions = TypeAdapter(list[Question]).validate_python(raw)
        return Quiz(quiz_id, c, lesson, questions, sum(q.points for q in questions))

    def plan_paths(self) -> None:
        """Learning paths: a few chains of 3-5 courses of one category (no prerequisites)."""
        rng = self.rng
        by_category: dict[str, list[int]] = {}
        for c, course in enumerate(self.courses):
            by_category.setdefault(course.category, []).append(c)
        candidates = [cs for cs in by_category.values() if len(cs) >= 3]
        rng.shuffle(candidates)
        for cs in candidates[:max(1, min(8, len(candidates)))]:
            chosen = rng.sample(cs, k=min(len(cs), rng.randint(3, 5)))
            created = max(self.courses[c].created_ms for c in chosen) + DAY_MS
            title = f"{self.courses[chosen[0]].category.replace('-', ' ').title()} Pathway"
            self.paths.append((ulid_at(rng, "path", created), title, chosen, created))
        self.next_in_path = {c: cs[i + 1] for _, _, cs, _ in self.paths for i, c in enumerate(cs[:-1])}

    def plan_learners(self) -> None:
        rng = self.rng
        span = self.now_ms - self.start_ms
        for n in range(self.p.learners):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            learner = Learner(
                id=f"user-{n + 1:05d}", name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}.{n + 1}@learners.example.org",
                gap_days=rng.choice([1.2, 1.6, 2.5, 3.5, 5.0, 8.0]), per_session=rng.randint(1, 4),
                hour=rng.choice([7, 9, 12, 14, 17, 19, 20, 21]), weekend=rng.uniform(0.15, 0.9),
                persistence=rng.uniform(0.3, 2.0), skill=rng.uniform(0.45, 0.97), speed=rng.uniform(0.7, 1.5))
            # Somewhat more learners joined recently: the school grew.
            learner.joined_ms = self.start_ms + int(span * rng.random() ** 0.85)
            learner.joined_ms = min(learner.joined_ms, self.now_ms - 60_000)
            self.learners.append(learner)

    def plan_enrollments(self) -> None:
        """Each learner in 1-8 courses; course popularity follows a long tail; course 0 has exactly 2,000."""
        rng = self.rng
        others = list(range(1, len(self.courses)))
        ranks = others[:]
        rng.shuffle(ranks)
        weights = [0.0] * len(self.courses)
        for rank, c in enumerate(ranks, start=1):
            weights[c] = rank ** -0.8
        cap = max(1, int(BIG_COURSE_LEARNERS * 0.95))
        counts = [0] * len(self.courses)
        cum = list(_cumulative([weights[c] for c in others]))
        big = set(rng.sample(range(len(self.learners)), k=min(BIG_COURSE_LEARNERS, len(self.learners))))
        for u, learner in enumerate(self.learners):
            k = rng.choices(range(1, 9), [28, 22, 16, 12, 9, 6, 4, 3])[0]
            chosen: list[int] = [0] if u in big else []
            tries = 0
            while len(chosen) < k and tries < 50 and others:
                tries += 1
                c = others[bisect.bisect(cum, rng.random() * cum[-1])]
                if c in chosen or counts[c] >= cap:
                    continue
                chosen.append(c)
                counts[c] += 1
                nxt = self.next_in_path.get(c)
                if (nxt is not None and nxt not in chosen and len(chosen) < k and rng.random() < 0.5
                        and counts[nxt] < cap):
                    chosen.append(nxt)  # learners follow a path's next course
                    counts[nxt] += 1
            if u in big:
                rng.shuffle(chosen)  # the big course anywhere in the learner's sequence
            # Enrollment times: the first on joining, then every few months, in the order chosen
            # (path successors later); never after now.
            times, at = [], learner.joined_ms
            for _ in chosen:
                times.append(at if at < self.now_ms - 60_000 else rng.randint(learner.joined_ms, self.now_ms - 60_000))
                at += int(rng.expovariate(1 / 75) * DAY_MS) + 60_000
            times.sort()
            for c, at in zip(chosen, times):
                self.enrollments.append(Enrollment(ulid_at(rng, "enrollment", at), u, c, at))
        self.enrollments.sort(key=lambda e: e.enrolled_ms)

    def plan_journeys(self) -> None:
        for enrollment in self.enrollments:
            self._journey(enrollment)
            if enrollment.status != "completed" and enrollment.last_ms is not None and self.rng.random() < 0.03:
                cancelled = enrollment.last_ms + self.rng.randint(1, 30) * DAY_MS
                if cancelled < self.now_ms:
                    enrollment.status, enrollment.cancelled_ms = "cancelled", cancelled

    def _journey(self, e: Enrollment) -> None:
        rng, learner, course = self.rng, self.learners[e.user], self.courses[e.course]
        spent: dict[int, int] = {}  # seconds so far, by lesson
        need: dict[int, int] = {}
        attempts = 0
        required_done = 0
        i = 0
        order = course.lessons
        session = self._first_session(e.enrolled_ms, learner)
        while session < self.now_ms:
            t = session
            budget = rng.randint(1, learner.per_session)
            dropped = False
            while budget > 0 and i < len(order):
                index = order[i]
                lesson = self.lessons[index]
                if index not in spent and lesson.kind != "quiz" or lesson.kind == "quiz" and attempts == 0:
                    if rng.random() < course.base_hazard * learner.persistence + lesson.hazard:
                        dropped = True  # gone; half the time after starting the lesson
                        if lesson.kind != "quiz" and index not in spent and rng.random() < 0.5:
                            t = self._study(e, index, t, learner, spent, need, fraction=rng.uniform(0.1, 0.5))
                        break
                    if not lesson.required and rng.random() < 0.5:
                        i += 1
                        continue
                if lesson.kind == "quiz":
                    passed = False
                    for _ in range(2 if attempts < 2 else 1):
                        attempts += 1
                        passed, t = self._attempt(e, lesson, attempts, t, learner)
                        if passed or attempts >= 3:
                            break
                    if passed:
                        i, required_done, attempts = i + 1, required_done + 1, 0
                        if required_done >= course.required:
                            break
                    elif attempts >= 3:
                        dropped = True
                        break
                    else:
                        break  # try again another day
                else:
                    fraction = rng.uniform(0.3, 0.7) if index not in spent and rng.random() < 0.2 else 1.0
                    t = self._study(e, index, t, learner, spent, need, fraction)
                    if t < 0:
                        return  # ran into the present: still under way
                    if spent[index] >= need[index]:
                        i += 1
                        required_done += lesson.required
                        if required_done >= course.required:
                            break  # completed: the enrollment's completed_at is this moment
                t += rng.randint(30, 300) * 1000
                budget -= 1
            if required_done >= course.required:
                e.status, e.completed_ms = "completed", e.last_ms
                return
            if dropped or i >= len(order):
                return
            session = self._next_session(t, learner)

    def _study(self, e: Enrollment, index: int, t: int, learner: Learner, spent: dict[int, int],
               need: dict[int, int], fraction: float) -> int:
        """A touch of a video, text or document lesson; returns when it ended, -1 if after now."""
        lesson = self.lessons[index]
        if index not in need:
            need[index] = max(60, int(max(lesson.minutes, 3) * 60 * learner.speed * self.rng.uniform(0.7, 1.3)))
        before = spent.get(index, 0)
        seconds = need[index] - before if fraction >= 1 else max(30, int((need[index] - before) * fraction))
        seconds = min(seconds, need[index] - before)
        end = t + seconds * 1000
        if end >= self.now_ms:
            return -1
        after = before + seconds
        completes = after >= need[index]
        pos_before = lesson.scale * before // need[index]
        pos_after = lesson.scale if completes else lesson.scale * after // need[index]
        self.touches.append(Touch(e.user, index, t, seconds * 1000, before, seconds, pos_before, pos_after, completes))
        spent[index] = after
        e.last_ms = end
        return end

    def _attempt(self, e: Enrollment, lesson: Lesson, number: int, t: int, learner: Learner) -> tuple[bool, int]:
        """One graded quiz attempt, answered with the learner's skill; a pass completes the lesson."""
        rng = self.rng
        quiz = self.quizzes[lesson.quiz]
        taken = rng.randint(120, 900)
        end = t + taken * 1000
        if end >= self.now_ms:
            return False, self.now_ms
        skill = min(0.99, learner.skill + 0.1 * (number - 1))  # they revise between attempts
        answers = [{"question_index": i, "answer": _answer(rng, q, rng.random() < skill)}
                   for i, q in enumerate(quiz.questions)]
        results = [{"question_index": a["question_index"], **grade_answer(q, a["answer"], True)}
                   for a, q in zip(answers, quiz.questions)]
        earned = sum(r["points_earned"] for r in results)
        score = round(100 * earned / quiz.total_points, 2)
        passed = score >= quiz.passing_score
        submitted = iso(end)
        self.attempts.append((ulid_at(rng, "attempt", t), APP_ID, ENV, quiz.id, self.learners[e.user].id, number,
                              "graded", dumps(list(range(len(quiz.questions)))), dumps(answers), dumps(results),
                              earned, score, int(passed), 0, taken, None, iso(t), None, submitted, submitted,
                              submitted))
        e.last_ms = end
        if passed:
            self.touches.append(Touch(e.user, quiz.lesson, end, 0, 0, taken, 0, 0, True, quiz_seconds=taken))
        return passed, end

    def _first_session(self, enrolled_ms: int, learner: Learner) -> int:
        if self.rng.random() < 0.5:
            return enrolled_ms + self.rng.randint(60, 3600) * 1000  # straight away
        return self._next_session(enrolled_ms, learner)

    def _next_session(self, after_ms: int, learner: Learner) -> int:
        """A later day, by the learner's rhythm, at about their usual hour (local time)."""
        rng = self.rng
        gap = 1 + int(rng.expovariate(1 / max(0.01, learner.gap_days - 1)))
        if rng.random() < 0.04:
            gap += rng.randint(14, 90)  # a pause: holidays, exams, harvest
        offset = UTC_OFFSET_MINUTES * 60_000
        day = (after_ms + offset) // DAY_MS + gap
        while (day + 3) % 7 in (5, 6) and rng.random() > learner.weekend:  # 1970-01-01 was a Thursday
            day += 1 + int(rng.expovariate(1 / max(0.01, learner.gap_days - 1)))  # not this weekend day
        hour = min(22, max(6, learner.hour + rng.randint(-2, 2)))
        return day * DAY_MS - offset + (hour * 3600 + rng.randint(0, 3599)) * 1000

    # -- writing -----------------------------------------------------------------------------

    def write(self) -> dict[str, Any]:
        store = Store(self.dir / "university.sqlite3")
        store.migrate()
        ensure_app(store, APP_ID, APP_NAME)
        key, _ = create_key(store, APP_ID, ENV, "secret", label="analytics benchmark")
        store.close()
        (self.dir / KEY_FILE).write_text(key + "\n")
        conn = sqlite3.connect(self.dir / "university.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MB: the rollup indexes stay in memory
        conn.execute("UPDATE apps SET time_zone = ?, utc_offset_minutes = ? WHERE id = ?",
                     (TIME_ZONE, UTC_OFFSET_MINUTES, APP_ID))
        conn.execute("BEGIN")
        self._write_catalogue(conn)
        self._write_enrollments(conn)
        conn.execute("COMMIT")
        events = self._write_progress(conn)
        began = time.monotonic()
        catch_up_store = Store(self.dir / "university.sqlite3")
        folded = catch_up(catch_up_store)  # what the scheduler does after writes: fold the log into the rollups
        catch_up_store.close()
        print(f"  rollups caught up: {folded:,} log rows in {time.monotonic() - began:.0f} s", file=sys.stderr)
        conn.execute("BEGIN")
        certificates = self._write_certificates(conn)
        ratings = self._write_ratings(conn)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return {"events": events, "certificates": certificates, "ratings": ratings}

    def _write_catalogue(self, conn: sqlite3.Connection) -> None:
        rng = self.rng
        users = [(uid, APP_ID, ENV, name, f"{uid}@staff.example.org", "instructor", iso(self.start_ms - 120 * DAY_MS))
                 for uid, name in self.instructors]
        opt_out = []
        for learner in self.learners:
            users.append((learner.id, APP_ID, ENV, learner.name, learner.email, "learner",
                          iso(learner.joined_ms - rng.randint(0, 3) * DAY_MS)))
            opt_out.append(int(rng.random() < 0.04))
        conn.executemany("INSERT INTO users (id, app_id, env, display_name, email, role, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?7)", users)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
        if "leaderboard_opt_out" in columns:
            conn.executemany("UPDATE users SET leaderboard_opt_out = 1 WHERE app_id = ? AND env = ? AND id = ?",
                             [(APP_ID, ENV, lr.id) for lr, out in zip(self.learners, opt_out) if out])
        defaults = CourseSettings.model_validate({}).model_dump()
        conn.executemany(
            "INSERT INTO courses (id, app_id, env, title, description, slug, status, category_id, instructor_id, "
            "settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'published', ?, ?, ?, ?, ?10)",
            [(c.id, APP_ID, ENV, c.title, f"{c.title}: a course in {c.category.replace('-', ' ')}.", slugify(c.title),
              c.category, self.instructors[c.instructor][0],
              dumps({**defaults, "certificate_enabled": c.certificate, "self_enrollment": True}), iso(c.created_ms))
             for c in self.courses])
        conn.executemany(
            "INSERT INTO modules (id, app_id, env, course_id, title, position, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?7, ?7)",
            [(mid, APP_ID, ENV, self.courses[c].id, title, pos, iso(at)) for mid, c, title, pos, _, at in self.modules])
        conn.executemany(
            "INSERT INTO lessons (id, app_id, env, course_id, module_id, title, position, content_type, content, "
            "duration_minutes, required, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?12, ?12)",
            [(lid, APP_ID, ENV, self.courses[c].id, mid, title, pos, kind, content, minutes, req, iso(at))
             for lid, c, mid, title, pos, kind, content, minutes, req, at in self.lesson_rows])
        # Totals as courses.service.refresh_totals keeps them.
        conn.execute(
            """UPDATE modules SET
                 lesson_count = (SELECT COUNT(*) FROM lessons l WHERE l.module_id = modules.id
                                 AND l.deleted_at IS NULL),
                 duration_minutes = (SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l
                                     WHERE l.module_id = modules.id AND l.deleted_at IS NULL)
               WHERE app_id = ? AND env = ?""", (APP_ID, ENV))
        conn.execute(
            """UPDATE courses SET
                 module_count = (SELECT COUNT(*) FROM modules m WHERE m.course_id = courses.id
                                 AND m.deleted_at IS NULL),
                 lesson_count = (SELECT COUNT(*) FROM lessons l WHERE l.course_id = courses.id
                                 AND l.deleted_at IS NULL),
                 duration_minutes = (SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l
                                     WHERE l.course_id = courses.id AND l.deleted_at IS NULL)
               WHERE app_id = ? AND env = ?""", (APP_ID, ENV))
        conn.executemany(
            "INSERT INTO quizzes (id, app_id, env, course_id, lesson_id, title, passing_score, shuffle_questions, "
            "show_correct_answers, questions, total_points, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'after_submission', ?, ?, ?10, ?10)",
            [(q.id, APP_ID, ENV, self.courses[q.course].id, self.lessons[q.lesson].id,
              f"{self.courses[q.course].title} check", q.passing_score, dumps([x.model_dump() for x in q.questions]),
              q.total_points, iso(self.courses[q.course].created_ms)) for q in self.quizzes])
        for path_id, title, cs, created in self.paths:
            conn.execute("INSERT INTO learning_paths (id, app_id, env, title, description, status, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, 'published', ?6, ?6)",
                         (path_id, APP_ID, ENV, title, f"{len(cs)} courses, in order.", iso(created)))
            conn.executemany("INSERT INTO learning_path_courses (path_id, app_id, env, course_id, position, required, "
                             "prerequisites) VALUES (?, ?, ?, ?, ?, 1, '[]')",
                             [(path_id, APP_ID, ENV, self.courses[c].id, n + 1) for n, c in enumerate(cs)])

    def _write_enrollments(self, conn: sqlite3.Connection) -> None:
        rows = []
        for e in self.enrollments:
            updated = max(x for x in (e.enrolled_ms, e.completed_ms, e.cancelled_ms) if x is not None)
            rows.append((e.id, APP_ID, ENV, self.learners[e.user].id, self.courses[e.course].id, e.status,
                         iso(e.enrolled_ms), e.completed_ms and iso(e.completed_ms),
                         e.cancelled_ms and iso(e.cancelled_ms), iso(updated)))
        conn.executemany("INSERT INTO enrollments (id, app_id, env, user_id, course_id, status, enrolled_at, "
                         "completed_at, cancelled_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO quiz_attempts (id, app_id, env, quiz_id, user_id, attempt_number, status, "
                         "question_order, answers, results, points_earned, score, passed, late, time_taken_seconds, "
                         "idempotency_key, started_at, deadline_at, submitted_at, graded_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.attempts)

    def _write_progress(self, conn: sqlite3.Connection) -> int:
        """Every progress event through the write path's upsert, in time order, in large transactions."""
        rng, touches = self.rng, self.touches
        # Each visit has one event; the rest are spread over the visits of video, text and document
        # lessons, more for longer visits (a learner's player saves progress every minute or so).
        counts = array("I", [1] * len(touches))
        studied = [k for k, t in enumerate(touches) if t.quiz_seconds < 0]
        extra = self.p.events - len(touches)
        if studied and extra > 0:
            for k in rng.choices(studied, weights=[touches[k].duration_ms for k in studied], k=extra):
                counts[k] += 1
        first = array("Q", [0] * (len(touches) + 1))
        for k, n in enumerate(counts):
            first[k + 1] = first[k] + n
        total = first[-1]
        moments = array("q", [0]) * total
        owner = array("I", [0]) * total
        for k, touch in enumerate(touches):
            n = counts[k]
            for i in range(n):
                moments[first[k] + i] = touch.start_ms + touch.duration_ms * (i + 1) // n
                owner[first[k] + i] = k
        order = sorted(range(total), key=moments.__getitem__)  # stable: a visit's events stay in order
        del moments
        users = [lr.id for lr in self.learners]
        lessons = [(lesson.id, self.courses[lesson.course].id) for lesson in self.lessons]
        done = 0
        started = time.monotonic()
        for chunk in range(0, total, BATCH):
            rows = []
            for e in order[chunk:chunk + BATCH]:
                k = owner[e]
                touch, n, i = touches[k], counts[k], e - first[k] + 1
                lesson_id, course_id = lessons[touch.lesson]
                at = touch.start_ms + touch.duration_ms * i // n
                if touch.quiz_seconds >= 0:
                    position, seconds = None, touch.quiz_seconds
                else:
                    position = touch.pos_before + (touch.pos_after - touch.pos_before) * i // n
                    seconds = touch.time_before + touch.seconds * i // n
                rows.append({"app": APP_ID, "env": ENV, "user": users[touch.user], "lesson": lesson_id,
                             "course": course_id, "position": position, "time": seconds,
                             "complete": int(touch.completes and i == n), "now": iso(at)})
            conn.execute("BEGIN")
            conn.executemany(_UPSERT, rows)
            conn.execute("COMMIT")
            done += len(rows)
            rate = done / max(0.001, time.monotonic() - started)
            print(f"  progress events: {done:,}/{total:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)
        return total

    def _write_certificates(self, conn: sqlite3.Connection) -> int:
        """A valid certificate for each completed enrollment of a course that gives one, as issued on completion."""
        key = signing.load_or_create(self.dir)
        code = site_code(key)
        site = conn.execute("SELECT id FROM site").fetchone()[0]
        url = conn.execute("SELECT public_url FROM site").fetchone()[0] or "http://localhost:8080"
        sequence: dict[int, int] = {}
        rows = []
        done = sorted((e for e in self.enrollments if e.status == "completed" and self.courses[e.course].certificate),
                      key=lambda e: e.completed_ms or 0)
        for e in done:
            course, learner = self.courses[e.course], self.learners[e.user]
            at = iso(e.completed_ms or 0)
            year = int(at[:4])
            sequence[year] = sequence.get(year, 0) + 1
            number = f"CERT-{year}-{code}-{sequence[year]:07d}"
            claims = {"number": number, "recipient": {"id": learner.id, "name": learner.name},
                      "achievement": {"type": "course", "id": course.id, "name": course.title},
                      "issuer": {"name": APP_NAME, "site": site, "key": key.key_id},
                      "issued_at": at, "completed_at": at}
            rows.append((ulid_at(self.rng, "cert", e.completed_ms or 0), APP_ID, ENV, number, year, sequence[year],
                         learner.id, course.id, e.id,
                         dumps({"instructor_name": self.instructors[course.instructor][1]}),
                         learner.name, course.title, APP_NAME, at, at, signing.canonical(claims).decode(),
                         key.sign(claims), key.key_id, f"{url}/verify/{number}", secrets.token_urlsafe(16), at))
        conn.executemany(
            "INSERT INTO certificates (id, app_id, env, certificate_number, year, sequence, user_id, course_id, "
            "enrollment_id, custom_fields, recipient_name, course_name, issued_by, issued_at, completed_at, claims, "
            "signature, key_id, verification_url, pdf_token, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'valid', ?)", rows)
        return len(rows)

    def _write_ratings(self, conn: sqlite3.Connection) -> int:
        """Half the learners who finished a course rate it, one in ten of those still at it (or gone)."""
        rng = self.rng
        rows = []
        for e in self.enrollments:
            if e.last_ms is None or rng.random() > (0.5 if e.status == "completed" else 0.1):
                continue
            course = self.courses[e.course]
            mean = course.quality - (0 if e.status == "completed" else 0.8)
            rating = min(5, max(1, round(rng.gauss(mean, 0.9))))
            created = min(self.now_ms - 1000, (e.completed_ms or e.last_ms) + rng.randint(60, 7 * 86400) * 1000)
            updated = created if rng.random() > 0.1 else rng.randint(created, self.now_ms - 1000)
            review = rng.choice(REVIEWS) if rng.random() < 0.3 else None
            rows.append((ulid_at(rng, "rating", created), APP_ID, ENV, course.id, self.learners[e.user].id,
                         rating, review, iso(created), iso(updated)))
        conn.executemany("INSERT INTO course_ratings (id, app_id, env, course_id, user_id, rating, review, "
                         "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)


def _cumulative(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def _answer(rng: random.Random, question: Any, right: bool) -> Any:
    """An answer that fits the question (as the API would accept it), right or wrong."""
    kind = question.type
    if kind == "multiple_choice":
        correct = sorted(question.correct_indexes)
        if right:
            return correct[0] if len(correct) == 1 else correct
        return rng.choice([i for i in range(len(question.options)) if i not in correct])
    if kind == "true_false":
        return question.correct_answer if right else not question.correct_answer
    if kind == "fill_blank":
        return rng.choice(question.correct_answers) if right else rng.choice(["respiration", "osmosis", ""])
    if kind == "matching":
        n = len(question.pairs)
        pairs = [[i, i] for i in range(n)]
        if not right:
            a, b = rng.sample(range(n), 2)
            pairs[a][1], pairs[b][1] = b, a
        return pairs
    return "An essay answer."


def schema_fingerprint() -> list[str]:
    """What shaped the database: the migrations and the code that folds the log into the rollups,
    by name and content digest (a tenant made with other versions must be generated again)."""
    package = Path(__file__).resolve().parent.parent / "university_local"
    files = [*sorted((package / "migrations").glob("*.sql")), package / "analytics" / "rollups.py"]
    return [f"{p.relative_to(package)} {hashlib.sha256(p.read_bytes()).hexdigest()[:12]}" for p in files]


def generate(data_dir: Path, params: Params, *, force: bool = False, validate: bool = True) -> dict[str, Any]:
    """Build the tenant in `data_dir`; returns (and writes) the metadata the benchmark reads."""
    data_dir = Path(data_dir)
    database = data_dir / "university.sqlite3"
    if database.exists() and not force:
        raise SystemExit(f"{database} exists: choose an empty directory, or --force to replace it")
    began = time.monotonic()
    fingerprint = schema_fingerprint()  # the files as this run loaded them (moments ago, at import)
    gen = Generator(data_dir, params)
    gen.plan_catalogue()
    gen.plan_paths()
    gen.plan_learners()
    gen.plan_enrollments()
    gen.plan_journeys()
    planned = time.monotonic() - began
    print(f"planned in {planned:.1f} s: {len(gen.enrollments):,} enrollments, {len(gen.touches):,} lesson visits, "
          f"{len(gen.attempts):,} quiz attempts", file=sys.stderr, flush=True)
    if len(gen.touches) > params.events:  # checked before anything is replaced
        raise SystemExit(f"the plan needs at least {len(gen.touches):,} progress events (one per lesson visit); "
                         "raise --events or lower --learners")
    if database.exists():
        for path in data_dir.iterdir():
            if path.name.startswith("university.sqlite3") or path.name in (KEY_FILE, META_FILE):
                path.unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    written = gen.write()
    seconds = time.monotonic() - began
    size = sum(p.stat().st_size for p in data_dir.glob("university.sqlite3*"))
    counts: dict[str, int] = {}
    conn = sqlite3.connect(database)
    for table in ("users", "courses", "modules", "lessons", "enrollments", "lesson_progress", "learning_activity",
                  "activity_daily", "learner_days", "quiz_attempts", "certificates", "course_ratings",
                  "learning_paths"):
        counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    enrolled = conn.execute("SELECT course_id, COUNT(*) AS n FROM enrollments WHERE app_id = ? AND env = ? "
                            "GROUP BY course_id ORDER BY n, course_id", (APP_ID, ENV)).fetchall()
    # The rollups must add up to the log they were folded from (events, seconds, completions).
    log = conn.execute("SELECT COUNT(*), SUM(seconds), SUM(completed) FROM learning_activity").fetchone()
    for table in ("activity_daily", "learner_days", "learner_courses"):
        totals = conn.execute(f"SELECT SUM(events), SUM(seconds), SUM(lessons_completed) FROM {table}").fetchone()
        if tuple(totals) != tuple(log):
            raise SystemExit(f"{table} adds up to {totals} (events, seconds, completions); the log to {log}")
    completed = conn.execute("SELECT COUNT(*) FROM enrollments WHERE status = 'completed'").fetchone()[0]
    path_sizes = conn.execute(
        "SELECT pc.path_id, COUNT(DISTINCT e.user_id) AS n FROM learning_path_courses pc JOIN enrollments e "
        "ON e.course_id = pc.course_id GROUP BY pc.path_id ORDER BY n DESC, pc.path_id").fetchall()
    conn.close()
    meta = {
        "app_id": APP_ID, "env": ENV, "time_zone": TIME_ZONE, "params": asdict(params),
        "generated_at": iso(gen.now_ms), "schema": fingerprint,
        "seconds": round(seconds, 1), "database_bytes": size,
        "big_course_id": gen.courses[0].id, "median_course_id": enrolled[len(enrolled) // 2][0],
        "median_course_enrollments": enrolled[len(enrolled) // 2][1],
        "path_id": path_sizes[0][0] if path_sizes else None,
        "counts": {**counts, "progress_events": written["events"], "completed_enrollments": completed},
    }
    (data_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    print(f"generated in {seconds:.0f} s ({planned:.0f} s planning); database {size / 2**20:,.0f} MB "
          f"({data_dir / 'university.sqlite3'})")
    print("  " + ", ".join(f"{name} {n:,}" for name, n in meta["counts"].items()))
    if validate:
        _validate(data_dir, meta)
    return meta


def _validate(data_dir: Path, meta: dict[str, Any]) -> None:
    """Serve the directory and read a little through the API, so the data is known to be servable."""
    key = (data_dir / KEY_FILE).read_text().strip()
    with running_server_on(data_dir, meta["app_id"], key) as server:
        api = httpx.Client(base_url=server.base + "/v1/university", headers=server.headers, timeout=60)
        courses = api.get("/courses", params={"per_page": 1}).raise_for_status().json()
        enrolled = api.get("/enrollments", params={"course_id": meta["big_course_id"], "per_page": 1}
                           ).raise_for_status().json()
        sample = api.get("/enrollments", params={"course_id": meta["big_course_id"], "status": "completed",
                                                 "per_page": 1}).raise_for_status().json()["data"]
        problems = []
        if courses["meta"]["total"] != meta["counts"]["courses"]:
            problems.append(f"course list total {courses['meta']['total']} != {meta['counts']['courses']}")
        if enrolled["meta"]["total"] != min(BIG_COURSE_LEARNERS, meta["params"]["learners"]):
            problems.append(f"big course has {enrolled['meta']['total']} enrollments")
        if sample:
            user = sample[0]["attributes"]["user_id"]
            progress = api.get(f"/progress/{meta['big_course_id']}/users/{user}").raise_for_status().json()
            attributes = progress["data"]["attributes"]
            if attributes["status"] != "completed" or not attributes["lessons_completed"] \
                    or not attributes["total_time_spent_minutes"]:
                problems.append(f"completed learner {user} has progress {attributes}")
        if problems:
            raise SystemExit("validation failed: " + "; ".join(problems))
        print(f"validated through the API at {server.base}: {courses['meta']['total']} courses, "
              f"{enrolled['meta']['total']} enrollments in the export course")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--learners", type=int, default=Params.learners)
    parser.add_argument("--courses", type=int, default=Params.courses)
    parser.add_argument("--events", type=int, default=Params.events)
    parser.add_argument("--years", type=float, default=Params.years)
    parser.add_argument("--seed", type=int, default=Params.seed)
    parser.add_argument("--force", action="store_true", help="replace a database already in --data-dir")
    parser.add_argument("--no-validate", action="store_true", help="skip reading the result through a server")
    args = parser.parse_args()
    if args.courses < 2 or args.learners < 1:
        parser.error("at least 2 courses and 1 learner")
    params = Params(args.learners, args.courses, args.events, args.years, args.seed)
    generate(args.data_dir, params, force=args.force, validate=not args.no_validate)
    print(f"secret key: {(args.data_dir / KEY_FILE).read_text().strip()} (app {APP_ID}, also in "
          f"{args.data_dir / KEY_FILE})")


if __name__ == "__main__":
    main()
