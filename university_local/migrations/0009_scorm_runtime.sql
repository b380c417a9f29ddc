-- SCORM run-time data: each learner's CMI data per SCO (item) and attempt, and the sessions that
-- wrote it. An attempt stays open while the SCO suspends (or never says goodbye); the next launch
-- resumes it. An attempt the SCO ended normally is closed, and the next launch starts a new one.

CREATE TABLE scorm_attempts (
    id                TEXT PRIMARY KEY,                  -- scormattempt-<ulid>
    app_id            TEXT NOT NULL,
    env               TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    course_id         TEXT NOT NULL,
    lesson_id         TEXT NOT NULL REFERENCES lessons(id),
    package_id        TEXT NOT NULL,                     -- the package version it ran (scorm_packages)
    item_id           TEXT NOT NULL,                     -- the item's identifier in the manifest
    number            INTEGER NOT NULL CHECK (number >= 1),
    scorm_version     TEXT NOT NULL CHECK (scorm_version IN ('1.2', '2004')),
    cmi               TEXT NOT NULL,                     -- JSON: element -> value, as the SCO left it
    completion_status TEXT NOT NULL,                     -- completed | incomplete | not attempted | unknown
    success_status    TEXT NOT NULL,                     -- passed | failed | unknown
    score_scaled      REAL,
    total_time        INTEGER NOT NULL DEFAULT 0,        -- hundredths of a second: sum of the sessions'
    exit              TEXT,                              -- cmi.exit at the last Terminate
    suspended         INTEGER NOT NULL DEFAULT 0,
    completed_at      TEXT,                              -- first time the SCO counted as done
    started_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    ended_at          TEXT,                              -- closed: the next launch starts a new attempt
    UNIQUE (app_id, env, user_id, lesson_id, item_id, number)
);
CREATE INDEX scorm_attempts_lesson ON scorm_attempts(app_id, env, lesson_id, user_id, item_id, number);
CREATE INDEX scorm_attempts_user ON scorm_attempts(app_id, env, user_id, id);
CREATE INDEX scorm_attempts_tenant ON scorm_attempts(app_id, env, id);

-- One launch of one SCO. Commits carry a sequence number per session; last_seq makes a retried
-- commit (or a beacon that arrives after the request it duplicates) apply once.
CREATE TABLE scorm_sessions (
    id            TEXT PRIMARY KEY,                      -- scormsession-<ulid>
    app_id        TEXT NOT NULL,
    env           TEXT NOT NULL,
    attempt_id    TEXT NOT NULL REFERENCES scorm_attempts(id),
    user_id       TEXT NOT NULL,
    lesson_id     TEXT NOT NULL,
    entry         TEXT NOT NULL,                         -- ab-initio | resume
    last_seq      INTEGER NOT NULL DEFAULT 0,
    session_time  INTEGER NOT NULL DEFAULT 0,            -- hundredths of a second, as the SCO reported
    exit          TEXT,                                  -- cmi.exit as this session's SCO set it
    nav_request   TEXT,                                  -- adl.nav.request (SCORM 2004)
    commits       INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    terminated_at TEXT
);
CREATE INDEX scorm_sessions_attempt ON scorm_sessions(attempt_id, started_at);

-- SCORM 2004 shared data (adl.data): the buckets a package's items map with adlcp:data, shared by
-- its SCOs, one set per learner and lesson.
CREATE TABLE scorm_shared_data (
    app_id     TEXT NOT NULL,
    env        TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    lesson_id  TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    store      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (app_id, env, user_id, lesson_id, target_id)
);
