-- Tenancy, API keys, users and the course catalogue.
-- Every tenant-owned row carries (app_id, env): the hard partition of DESIGN.md.

CREATE TABLE apps (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    embed_hosts TEXT,                      -- JSON list; NULL means the built-in allow-list
    created_at  TEXT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id),
    env         TEXT NOT NULL CHECK (env IN ('test', 'live')),
    key_type    TEXT NOT NULL CHECK (key_type IN ('secret', 'publishable')),
    key_hash    TEXT NOT NULL UNIQUE,      -- sha256 of the whole key; the key itself is never stored
    key_hint    TEXT NOT NULL,             -- prefix and last four characters, to recognise a key
    label       TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_keys_app ON api_keys(app_id, env);

CREATE TABLE users (
    id           TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    env          TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email        TEXT,
    role         TEXT NOT NULL CHECK (role IN ('learner', 'instructor', 'admin')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (app_id, env, id)
);

CREATE TABLE courses (
    id            TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL,
    env           TEXT NOT NULL,
    title         TEXT NOT NULL,
    description   TEXT,
    slug          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    thumbnail_url TEXT,
    category_id   TEXT,
    instructor_id TEXT,
    settings      TEXT NOT NULL,           -- JSON object, every key of CourseSettings
    -- Totals over live modules and lessons, recomputed in every transaction that changes them.
    module_count     INTEGER NOT NULL DEFAULT 0,
    lesson_count     INTEGER NOT NULL DEFAULT 0,
    duration_minutes INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE UNIQUE INDEX courses_slug ON courses(app_id, env, slug);
CREATE INDEX courses_tenant ON courses(app_id, env, deleted_at, id);

CREATE TABLE modules (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    course_id   TEXT NOT NULL REFERENCES courses(id),
    title       TEXT NOT NULL,
    description TEXT,
    position    INTEGER NOT NULL,
    unlock_at   TEXT,
    lesson_count     INTEGER NOT NULL DEFAULT 0,   -- recomputed with the course totals
    duration_minutes INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX modules_course ON modules(course_id, deleted_at, position);

CREATE TABLE lessons (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL,
    env              TEXT NOT NULL,
    course_id        TEXT NOT NULL REFERENCES courses(id),
    module_id        TEXT NOT NULL REFERENCES modules(id),
    title            TEXT NOT NULL,
    description      TEXT,
    position         INTEGER NOT NULL,
    content_type     TEXT NOT NULL,
    content          TEXT NOT NULL,        -- JSON, validated by the schema of content_type
    duration_minutes INTEGER NOT NULL DEFAULT 0,  -- derived from content on write
    free_preview     INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX lessons_module ON lessons(module_id, deleted_at, position);
CREATE INDEX lessons_course ON lessons(course_id, deleted_at);
