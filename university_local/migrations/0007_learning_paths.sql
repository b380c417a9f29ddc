-- Learning paths: ordered courses with prerequisites between them, and an optional certificate
-- template for completing the whole path.

CREATE TABLE learning_paths (
    id             TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL,
    env            TEXT NOT NULL,
    title          TEXT NOT NULL,
    description    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    certificate_id TEXT,                 -- the certificate template of the path certificate
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT
);
CREATE INDEX learning_paths_tenant ON learning_paths(app_id, env, deleted_at, id);

-- The courses of a path, one row each; replaced as a whole when the path's courses change.
CREATE TABLE learning_path_courses (
    path_id       TEXT NOT NULL REFERENCES learning_paths(id),
    app_id        TEXT NOT NULL,
    env           TEXT NOT NULL,
    course_id     TEXT NOT NULL REFERENCES courses(id),
    position      INTEGER NOT NULL,      -- 1..n within the path
    required      INTEGER NOT NULL DEFAULT 1,
    prerequisites TEXT NOT NULL DEFAULT '[]',  -- JSON list of course ids of the same path
    PRIMARY KEY (path_id, course_id),
    UNIQUE (path_id, position)
);
-- Enrolling in a course looks up the paths that contain it.
CREATE INDEX learning_path_courses_course ON learning_path_courses(app_id, env, course_id);
