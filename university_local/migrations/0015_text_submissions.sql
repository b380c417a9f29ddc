-- Text submissions: an assignment says what it accepts (`submission_types`, JSON ["file"], ["text"]
-- or both), and a submission carries a file, a text answer, or both.

ALTER TABLE assignments ADD COLUMN submission_types TEXT NOT NULL DEFAULT '["file"]';

-- A text answer has no file, so the file's columns may now be empty (all four together). SQLite
-- cannot relax NOT NULL in place: the table is rebuilt with the same rows. No table refers to it.
CREATE TABLE submissions_new (
    id                   TEXT PRIMARY KEY,
    app_id               TEXT NOT NULL,
    env                  TEXT NOT NULL,
    assignment_id        TEXT NOT NULL REFERENCES assignments(id),
    course_id            TEXT NOT NULL,
    lesson_id            TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    attempt              INTEGER NOT NULL,
    notes                TEXT,                 -- plain text
    text                 TEXT,                 -- the learner's written answer, plain text; NULL: none
    filename             TEXT,                 -- the client's name, sanitised; never a path on disk
    content_type         TEXT,                 -- from the extension, not from the client
    file_size            INTEGER,
    file_sha256          TEXT,                 -- NULL: no file (then the other three are NULL too)
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
    idempotency_key      TEXT,
    UNIQUE (assignment_id, user_id, attempt),
    CHECK ((filename IS NULL) = (file_sha256 IS NULL) AND (content_type IS NULL) = (file_sha256 IS NULL)
           AND (file_size IS NULL) = (file_sha256 IS NULL)),
    CHECK (file_sha256 IS NOT NULL OR text IS NOT NULL)
);
INSERT INTO submissions_new (id, app_id, env, assignment_id, course_id, lesson_id, user_id, attempt, notes, text,
                             filename, content_type, file_size, file_sha256, late, late_penalty_percent,
                             submitted_at, scores, total_score, final_score, feedback, graded_at, updated_at,
                             idempotency_key)
SELECT id, app_id, env, assignment_id, course_id, lesson_id, user_id, attempt, notes, NULL,
       filename, content_type, file_size, file_sha256, late, late_penalty_percent,
       submitted_at, scores, total_score, final_score, feedback, graded_at, updated_at, idempotency_key
FROM submissions;
DROP TABLE submissions;
ALTER TABLE submissions_new RENAME TO submissions;
CREATE INDEX submissions_assignment ON submissions(app_id, env, assignment_id, user_id, attempt);
CREATE INDEX submissions_user ON submissions(app_id, env, user_id);
CREATE UNIQUE INDEX submissions_idempotency ON submissions(app_id, env, assignment_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
