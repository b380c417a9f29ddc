-- Learners, enrollments, lesson progress, the event outbox and webhooks.

ALTER TABLE users ADD COLUMN secret_hash TEXT;      -- scrypt of the password or PIN, never the secret
ALTER TABLE users ADD COLUMN secret_kind TEXT CHECK (secret_kind IN ('password', 'pin'));
ALTER TABLE users ADD COLUMN deactivated_at TEXT;
CREATE INDEX users_email ON users(app_id, env, email);

-- Enrolling an unknown user_id creates the learner unless the app turns that off.
ALTER TABLE apps ADD COLUMN auto_create_users INTEGER NOT NULL DEFAULT 1;

-- Optional lessons do not hold back course completion.
ALTER TABLE lessons ADD COLUMN required INTEGER NOT NULL DEFAULT 1;

-- This installation: events say where they happened, for sync and for receivers.
CREATE TABLE site (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
INSERT INTO site (id, created_at)
VALUES ('site-' || lower(hex(randomblob(10))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- One row per (learner, course): re-enrolling reactivates it, so earlier progress is kept.
CREATE TABLE enrollments (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL,
    env              TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    course_id        TEXT NOT NULL REFERENCES courses(id),
    status           TEXT NOT NULL CHECK (status IN ('active', 'completed', 'expired', 'cancelled')),
    enrolled_at      TEXT NOT NULL,
    expires_at       TEXT,
    completed_at     TEXT,
    cancelled_at     TEXT,
    updated_at       TEXT NOT NULL,     -- last activity is read from lesson_progress
    UNIQUE (app_id, env, user_id, course_id)
);
CREATE INDEX enrollments_course ON enrollments(course_id, status);
CREATE INDEX enrollments_expiry ON enrollments(status, expires_at);

-- A learner's record of one lesson. Time and furthest position only grow.
CREATE TABLE lesson_progress (
    app_id             TEXT NOT NULL,
    env                TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    lesson_id          TEXT NOT NULL REFERENCES lessons(id),
    course_id          TEXT NOT NULL,
    position           INTEGER NOT NULL DEFAULT 0,   -- the last position reported (resume here)
    furthest_position  INTEGER NOT NULL DEFAULT 0,
    time_spent_seconds INTEGER NOT NULL DEFAULT 0,
    started_at         TEXT NOT NULL,
    completed_at       TEXT,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (app_id, env, user_id, lesson_id)
);
CREATE INDEX lesson_progress_course ON lesson_progress(app_id, env, user_id, course_id);

-- The outbox: every event, written in the transaction of its cause. Webhook deliveries and
-- (later) the sync change log are fed from here.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    site_id     TEXT NOT NULL,
    payload     TEXT NOT NULL,       -- the JSON body receivers get
    created_at  TEXT NOT NULL
);
CREATE INDEX events_tenant ON events(app_id, env, id);

CREATE TABLE webhooks (
    id                   TEXT PRIMARY KEY,
    app_id               TEXT NOT NULL,
    env                  TEXT NOT NULL,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL,   -- JSON list of event types
    secret               TEXT NOT NULL,   -- the HMAC key; needed to sign, so kept, never shown
    description          TEXT,
    status               TEXT NOT NULL CHECK (status IN ('active', 'failing', 'disabled')),
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    deleted_at           TEXT
);
CREATE INDEX webhooks_tenant ON webhooks(app_id, env, deleted_at);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks(id),
    event_id        TEXT NOT NULL REFERENCES events(id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    response_status INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries(webhook_id, status, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(status, webhook_id);
