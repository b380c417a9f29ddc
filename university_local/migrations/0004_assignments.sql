-- Assignments (hung off a lesson) and learners' submissions, with the latest grade of each.

CREATE TABLE assignments (
    id                    TEXT PRIMARY KEY,
    app_id                TEXT NOT NULL,
    env                   TEXT NOT NULL,
    course_id             TEXT NOT NULL REFERENCES courses(id),   -- the lesson's, kept for filtering
    lesson_id             TEXT NOT NULL REFERENCES lessons(id),
    title                 TEXT NOT NULL,
    description           TEXT,
    due_date              TEXT,                                    -- UTC; NULL: no deadline
    max_score             INTEGER NOT NULL,                        -- the rubric's sum when it has one
    allow_late_submission INTEGER NOT NULL DEFAULT 0,
    late_penalty_percent  REAL NOT NULL DEFAULT 0 CHECK (late_penalty_percent BETWEEN 0 AND 100),
    rubric                TEXT NOT NULL DEFAULT '[]',              -- JSON [{criteria, max_points, description}]
    allowed_file_types    TEXT NOT NULL,                           -- JSON [".zip", ".tar.gz", ...]
    max_file_size_mb      INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    deleted_at            TEXT
);
CREATE INDEX assignments_tenant ON assignments(app_id, env, deleted_at, id);
CREATE INDEX assignments_lesson ON assignments(lesson_id);
CREATE INDEX assignments_course ON assignments(course_id);

-- Every submission is kept: a resubmission is a new row with the next attempt number, and the
-- learner's current submission is the one with the highest. The file itself lives in the
-- content-addressed store (<data_dir>/uploads/sha256/ab/cdef...), named by file_sha256.
CREATE TABLE submissions (
    id                   TEXT PRIMARY KEY,
    app_id               TEXT NOT NULL,
    env                  TEXT NOT NULL,
    assignment_id        TEXT NOT NULL REFERENCES assignments(id),
    course_id            TEXT NOT NULL,
    lesson_id            TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    attempt              INTEGER NOT NULL,
    notes                TEXT,                 -- plain text
    filename             TEXT NOT NULL,        -- the client's name, sanitised; never a path on disk
    content_type         TEXT NOT NULL,        -- from the extension, not from the client
    file_size            INTEGER NOT NULL,
    file_sha256          TEXT NOT NULL,
    late                 INTEGER NOT NULL,
    late_penalty_percent REAL NOT NULL,        -- recorded when submitted (0 when on time)
    submitted_at         TEXT NOT NULL,
    -- The latest grade (regrading replaces it; each grading is also an assignment.graded event).
    scores               TEXT,                 -- JSON [{criteria, points, max_points}]
    total_score          REAL,                 -- sum of the points, before the late penalty
    final_score          REAL,                 -- total_score less late_penalty_percent
    feedback             TEXT,                 -- plain text
    graded_at            TEXT,
    updated_at           TEXT NOT NULL,
    UNIQUE (assignment_id, user_id, attempt)
);
CREATE INDEX submissions_assignment ON submissions(app_id, env, assignment_id, user_id, attempt);
CREATE INDEX submissions_user ON submissions(app_id, env, user_id);
