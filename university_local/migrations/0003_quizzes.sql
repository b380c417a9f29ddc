-- Quizzes and their attempts. Questions are stored as the validated JSON of the definition;
-- grading always refers to a question by its index in that list.
CREATE TABLE quizzes (
    id                   TEXT PRIMARY KEY,
    app_id               TEXT NOT NULL,
    env                  TEXT NOT NULL,
    course_id            TEXT NOT NULL REFERENCES courses(id),
    lesson_id            TEXT REFERENCES lessons(id),
    title                TEXT NOT NULL,
    description          TEXT,
    time_limit_minutes   INTEGER,
    passing_score        REAL NOT NULL,
    max_attempts         INTEGER,
    shuffle_questions    INTEGER NOT NULL DEFAULT 0,
    show_correct_answers TEXT NOT NULL,
    due_date             TEXT,
    questions            TEXT NOT NULL,            -- JSON list, see quizzes/questions.py
    total_points         INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    deleted_at           TEXT
);
CREATE INDEX quizzes_tenant ON quizzes(app_id, env, deleted_at, id);
CREATE INDEX quizzes_course ON quizzes(course_id, deleted_at);
CREATE INDEX quizzes_lesson ON quizzes(lesson_id, deleted_at);

CREATE TABLE quiz_attempts (
    id                TEXT PRIMARY KEY,
    app_id            TEXT NOT NULL,
    env               TEXT NOT NULL,
    quiz_id           TEXT NOT NULL REFERENCES quizzes(id),
    user_id           TEXT NOT NULL,
    attempt_number    INTEGER NOT NULL,
    status            TEXT NOT NULL,               -- in_progress | pending_review | graded
    question_order    TEXT NOT NULL,               -- JSON list of question indexes, as shown
    answers           TEXT NOT NULL DEFAULT '[]',  -- JSON: saved or submitted answers
    results           TEXT,                        -- JSON: one result per question, by index
    points_earned     REAL,
    score             REAL,
    passed            INTEGER,
    late              INTEGER NOT NULL DEFAULT 0,
    time_taken_seconds INTEGER,
    idempotency_key   TEXT,
    started_at        TEXT NOT NULL,
    deadline_at       TEXT,
    submitted_at      TEXT,
    graded_at         TEXT,
    updated_at        TEXT NOT NULL,
    UNIQUE (quiz_id, user_id, attempt_number),
    UNIQUE (quiz_id, user_id, idempotency_key)
);
CREATE INDEX quiz_attempts_user ON quiz_attempts(app_id, env, quiz_id, user_id, attempt_number);
