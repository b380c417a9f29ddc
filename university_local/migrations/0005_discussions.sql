-- Discussion forums: threads per course (optionally about one lesson), threaded replies, upvotes.
-- Stands alone: it references only tables of 0001 and 0002.

CREATE TABLE discussions (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL,
    env             TEXT NOT NULL,
    course_id       TEXT NOT NULL REFERENCES courses(id),
    lesson_id       TEXT REFERENCES lessons(id),      -- a lesson of course_id, checked on write
    author_id       TEXT NOT NULL,
    title           TEXT NOT NULL,                    -- plain text
    content         TEXT NOT NULL,                    -- sanitised HTML
    pinned          INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    resolved        INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
    resolved_at     TEXT,
    answer_reply_id TEXT,                             -- a live reply of this discussion, or NULL
    -- Recomputed from the rows below in every transaction that changes them.
    reply_count     INTEGER NOT NULL DEFAULT 0,       -- live replies
    upvotes         INTEGER NOT NULL DEFAULT 0,
    last_reply_at   TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
-- The list: one course's live threads, pinned first, newest first.
CREATE INDEX discussions_course ON discussions(course_id, deleted_at, pinned, created_at);

CREATE TABLE discussion_replies (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL,
    env             TEXT NOT NULL,
    discussion_id   TEXT NOT NULL REFERENCES discussions(id),
    parent_reply_id TEXT REFERENCES discussion_replies(id),   -- where it hangs in the tree
    in_reply_to_id  TEXT REFERENCES discussion_replies(id),   -- the reply the author answered
    depth           INTEGER NOT NULL CHECK (depth >= 0),
    -- Ancestors' ids and its own, joined by '/': sorting by it gives depth-first thread order
    -- (ids are time-sortable, so siblings come oldest first).
    thread_path     TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    content         TEXT NOT NULL,                    -- sanitised HTML
    upvotes         INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);
CREATE UNIQUE INDEX discussion_replies_thread ON discussion_replies(discussion_id, thread_path);

-- One upvote per user and target (a discussion or a reply; ids are globally unique). The primary
-- key is what makes a double upvote impossible, however the requests race.
CREATE TABLE discussion_upvotes (
    target_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    target_type   TEXT NOT NULL CHECK (target_type IN ('discussion', 'reply')),
    app_id        TEXT NOT NULL,
    env           TEXT NOT NULL,
    discussion_id TEXT NOT NULL REFERENCES discussions(id),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (target_id, user_id)
);
