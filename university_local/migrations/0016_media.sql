-- The media library: videos, audio, documents and images an organisation hosts on this server, so
-- that a lesson's video_url or document_url can point here (/media/<id>/<filename>) and play with
-- no internet. The bytes live in the content-addressed store (<data_dir>/uploads/sha256/...),
-- named by sha256; a file uploaded twice is stored once.
CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL,
    env          TEXT NOT NULL,
    filename     TEXT NOT NULL,        -- the uploader's name, sanitised; never a path on disk
    content_type TEXT NOT NULL,        -- from the extension, its content checked against it
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    deleted_at   TEXT
);
CREATE INDEX media_tenant ON media(app_id, env, deleted_at, id);
