-- Course ratings (a learner rates a course once, 1 to 5, and may change it) and the
-- leaderboard opt-out.

-- One row per (learner, course): changing a rating updates the row, so `id` stays the same
-- and `updated_at` says when the learner last changed their mind. Course deletion is soft,
-- so the reference never dangles.
CREATE TABLE course_ratings (
    id          TEXT NOT NULL UNIQUE,            -- rating-..., the API id
    app_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    course_id   TEXT NOT NULL REFERENCES courses(id),
    user_id     TEXT NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review      TEXT,                            -- plain text (HTML removed on the way in), or NULL
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (app_id, env, course_id, user_id)
);
-- A course's summary (COUNT ... GROUP BY rating) read from the index alone, and the list
-- filtered by rating=, newest change first.
CREATE INDEX course_ratings_by_rating ON course_ratings(app_id, env, course_id, rating, updated_at);
-- Ratings changed within a period (analytics' summary with since/until, from the index alone),
-- and the unfiltered list, newest change first.
CREATE INDEX course_ratings_changed ON course_ratings(app_id, env, course_id, updated_at, rating);

-- Learners who opted out are left out of every leaderboard (analytics/leaderboard reads this).
ALTER TABLE users ADD COLUMN leaderboard_opt_out INTEGER NOT NULL DEFAULT 0
    CHECK (leaderboard_opt_out IN (0, 1));
