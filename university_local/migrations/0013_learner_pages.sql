-- The learner web pages: signed-in sessions, sign-in throttling, and forms that count once.

-- A secret of this site that never leaves it: it keys the pages' CSRF tokens.
ALTER TABLE site ADD COLUMN secret TEXT;
UPDATE site SET secret = lower(hex(randomblob(32)));

-- A learner signed in on a device. The cookie holds the token; only its hash is stored.
CREATE TABLE web_sessions (
    token_hash   TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL,
    env          TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions(app_id, env, user_id);

-- Wrong PINs, counted per learner (`user:<id>`) and per device (`device:<id>`). A run of failures
-- blocks further tries until `blocked_until`; a right PIN, or an instructor, clears the learner's.
CREATE TABLE signin_failures (
    app_id        TEXT NOT NULL,
    env           TEXT NOT NULL,
    subject       TEXT NOT NULL,
    failures      INTEGER NOT NULL,
    last_at       TEXT NOT NULL,
    blocked_until TEXT,
    PRIMARY KEY (app_id, env, subject)
);

-- A form's operation id, issued with the form: a resent post is recognised and counted once.
CREATE TABLE web_operations (
    app_id     TEXT NOT NULL,
    env        TEXT NOT NULL,
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (app_id, env, id)
);
