-- Certificates and their templates. Numbers are unique on this site (year, sequence) and carry
-- the site's code, so sites never need to agree on them (see certificates/service.py).
ALTER TABLE site ADD COLUMN public_url TEXT;  -- set from the configuration at every start

CREATE TABLE certificate_templates (
    id            TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL,
    env           TEXT NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT,
    html_template TEXT NOT NULL,               -- sanitised; placeholders checked
    css_styles    TEXT,
    variables     TEXT NOT NULL,               -- JSON list of names
    paper_size    TEXT NOT NULL,
    orientation   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX certificate_templates_tenant ON certificate_templates(app_id, env, deleted_at, id);

CREATE TABLE certificates (
    id                 TEXT PRIMARY KEY,
    app_id             TEXT NOT NULL,
    env                TEXT NOT NULL,
    certificate_number TEXT NOT NULL UNIQUE,
    year               INTEGER NOT NULL,
    sequence           INTEGER NOT NULL,
    user_id            TEXT NOT NULL,
    course_id          TEXT,                   -- a course certificate...
    path_id            TEXT,                   -- ...or a learning path certificate
    enrollment_id      TEXT,
    template_id        TEXT,                   -- NULL: the built-in template
    custom_fields      TEXT NOT NULL DEFAULT '{}',
    recipient_name     TEXT NOT NULL,
    course_name        TEXT NOT NULL,
    issued_by          TEXT NOT NULL,
    issued_at          TEXT NOT NULL,
    completed_at       TEXT,
    claims             TEXT NOT NULL,          -- the canonical JSON that was signed
    signature          TEXT NOT NULL,          -- base64url Ed25519 signature of claims
    key_id             TEXT NOT NULL,
    verification_url   TEXT NOT NULL,
    pdf_token          TEXT NOT NULL,          -- makes the PDF's URL unguessable
    pdf_sha256         TEXT,                   -- set once the PDF is made
    status             TEXT NOT NULL DEFAULT 'valid',  -- valid | revoked
    revoked_at         TEXT,
    revocation_reason  TEXT,
    forced_reason      TEXT,                   -- issued without meeting the rules, and why
    replaced_by        TEXT,                   -- the reissued certificate
    updated_at         TEXT NOT NULL,
    UNIQUE (year, sequence)
);
CREATE INDEX certificates_user ON certificates(app_id, env, user_id, course_id);
CREATE INDEX certificates_course ON certificates(app_id, env, course_id, status);
CREATE INDEX certificates_enrollment ON certificates(enrollment_id, status);
