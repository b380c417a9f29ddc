-- SCORM packages: one row per uploaded zip. Re-uploading to a lesson adds a row with the next
-- package_version and keeps the old ones; the lesson's content names the version it launches.
-- The files live in <data_dir>/scorm/<id>/ and are served at /scorm/content/<id>/<path>.

CREATE TABLE scorm_packages (
    id              TEXT PRIMARY KEY,                 -- scorm-<ulid>
    app_id          TEXT NOT NULL,
    env             TEXT NOT NULL,
    course_id       TEXT NOT NULL REFERENCES courses(id),
    module_id       TEXT NOT NULL REFERENCES modules(id),
    lesson_id       TEXT NOT NULL REFERENCES lessons(id),
    title           TEXT NOT NULL,
    scorm_version   TEXT NOT NULL CHECK (scorm_version IN ('1.2', '2004')),
    edition         TEXT,                             -- '2nd' | '3rd' | '4th' for 2004; NULL for 1.2 or unknown
    package_version INTEGER NOT NULL CHECK (package_version >= 1),
    sha256          TEXT NOT NULL,                    -- of the uploaded zip
    manifest        TEXT NOT NULL,                    -- JSON: the parsed manifest (see scorm_player/manifest.py)
    report          TEXT NOT NULL,                    -- JSON: {self_contained, external_resources, warnings}
    file_count      INTEGER NOT NULL,
    total_bytes     INTEGER NOT NULL,                 -- unpacked
    created_at      TEXT NOT NULL,
    deleted_at      TEXT,
    UNIQUE (lesson_id, package_version)
);
CREATE INDEX scorm_packages_tenant ON scorm_packages(app_id, env, deleted_at, id);
CREATE INDEX scorm_packages_lesson ON scorm_packages(app_id, env, lesson_id, package_version);
CREATE INDEX scorm_packages_course ON scorm_packages(app_id, env, course_id, id);
