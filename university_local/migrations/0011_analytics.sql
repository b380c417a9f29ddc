-- Analytics: a log of learning activity and the daily rollups analytics read.
--
-- Every change to a lesson_progress row appends one row to learning_activity, by trigger, in the
-- transaction of the write, so no writer can forget it. The rollups analytics read are brought up
-- to date from the log in batches (analytics/rollups.py catch_up): by a scheduled job, and before
-- every analytics read, so figures are always current while a progress write pays only for its
-- log row. The log is also the history a recomputation starts from (rollups.rebuild).

-- The tenant's time zone decides which calendar day activity falls on. Triggers cannot run
-- zoneinfo, so they use the zone's offset now, which the scheduler keeps current (DST).
ALTER TABLE apps ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE apps ADD COLUMN utc_offset_minutes INTEGER NOT NULL DEFAULT 0;

CREATE TABLE learning_activity (
    id          INTEGER PRIMARY KEY,
    app_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    course_id   TEXT NOT NULL,
    lesson_id   TEXT NOT NULL,
    occurred_at TEXT NOT NULL,              -- UTC, the progress row's updated_at
    day         TEXT NOT NULL,              -- YYYY-MM-DD in the tenant's time zone
    seconds     INTEGER NOT NULL,           -- learning time this change added
    completed   INTEGER NOT NULL            -- 1 when this change completed the lesson
);

-- How far the rollups have taken in the log: every learning_activity row with an id up to
-- applied_through is counted in them, exactly once.
CREATE TABLE rollup_state (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    applied_through  INTEGER NOT NULL
);
INSERT INTO rollup_state (id, applied_through) VALUES (1, 0);

-- One learner in one course on one day. A row is a "session" (README, Analytics).
CREATE TABLE activity_daily (
    app_id            TEXT NOT NULL,
    env               TEXT NOT NULL,
    course_id         TEXT NOT NULL,
    day               TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    seconds           INTEGER NOT NULL,
    lessons_completed INTEGER NOT NULL,
    events            INTEGER NOT NULL,
    PRIMARY KEY (course_id, day, user_id)
) WITHOUT ROWID;
CREATE INDEX activity_daily_user ON activity_daily(app_id, env, user_id, course_id, day);

-- One learner on one day, all courses: learning_activity per day, and streaks.
CREATE TABLE learner_days (
    app_id            TEXT NOT NULL,
    env               TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    day               TEXT NOT NULL,
    seconds           INTEGER NOT NULL,
    lessons_completed INTEGER NOT NULL,
    events            INTEGER NOT NULL,
    PRIMARY KEY (app_id, env, user_id, day)
) WITHOUT ROWID;

-- One learner in one course, all time: where they were last (drop-off) and their time.
CREATE TABLE learner_courses (
    app_id            TEXT NOT NULL,
    env               TEXT NOT NULL,
    course_id         TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    seconds           INTEGER NOT NULL,
    lessons_completed INTEGER NOT NULL,
    events            INTEGER NOT NULL,
    last_activity_id  INTEGER NOT NULL,     -- learning_activity.id of the latest change
    last_lesson_id    TEXT NOT NULL,
    last_activity_at  TEXT NOT NULL,
    PRIMARY KEY (course_id, user_id)
) WITHOUT ROWID;
CREATE INDEX learner_courses_user ON learner_courses(app_id, env, user_id);

-- One learner, all time. current_streak is the run of consecutive active days that ends on
-- last_day; it is "current" only while last_day is today or yesterday (read side).
CREATE TABLE learner_totals (
    app_id            TEXT NOT NULL,
    env               TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    seconds           INTEGER NOT NULL,
    lessons_completed INTEGER NOT NULL,
    active_days       INTEGER NOT NULL,
    last_day          TEXT NOT NULL,
    current_streak    INTEGER NOT NULL,
    PRIMARY KEY (app_id, env, user_id)
) WITHOUT ROWID;
CREATE INDEX learner_totals_streak ON learner_totals(app_id, env, last_day, current_streak);

-- Analytics reads: enrollments by course and time, completions by tenant and learner.
CREATE INDEX enrollments_course_enrolled ON enrollments(course_id, enrolled_at);
CREATE INDEX enrollments_tenant_status ON enrollments(app_id, env, status, user_id);
CREATE INDEX lesson_progress_lesson ON lesson_progress(course_id, lesson_id);

-- A learner's best graded score on each quiz: what score leaderboards average. Kept by trigger
-- whenever an attempt is stored or graded (re-grading may lower the best, so it is recounted).
CREATE TABLE quiz_bests (
    app_id   TEXT NOT NULL,
    env      TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    quiz_id  TEXT NOT NULL,
    score    REAL NOT NULL,
    PRIMARY KEY (app_id, env, user_id, quiz_id)
) WITHOUT ROWID;
CREATE INDEX quiz_bests_quiz ON quiz_bests(quiz_id);

CREATE TRIGGER quiz_attempts_best_insert AFTER INSERT ON quiz_attempts
WHEN NEW.status = 'graded' AND NEW.score IS NOT NULL BEGIN
    INSERT INTO quiz_bests (app_id, env, user_id, quiz_id, score)
    VALUES (NEW.app_id, NEW.env, NEW.user_id, NEW.quiz_id, NEW.score)
    ON CONFLICT DO UPDATE SET score = MAX(score, excluded.score);
END;

CREATE TRIGGER quiz_attempts_best_update AFTER UPDATE OF status, score ON quiz_attempts
WHEN NEW.status = 'graded' AND NEW.score IS NOT NULL BEGIN
    INSERT INTO quiz_bests (app_id, env, user_id, quiz_id, score)
    SELECT app_id, env, user_id, quiz_id, MAX(score) FROM quiz_attempts
    WHERE app_id = NEW.app_id AND env = NEW.env AND quiz_id = NEW.quiz_id AND user_id = NEW.user_id
      AND status = 'graded' AND score IS NOT NULL
    GROUP BY app_id, env, user_id, quiz_id
    ON CONFLICT DO UPDATE SET score = excluded.score;
END;

-- The log: one row per change of a progress row.
CREATE TRIGGER lesson_progress_logged_insert AFTER INSERT ON lesson_progress BEGIN
    INSERT INTO learning_activity (app_id, env, user_id, course_id, lesson_id, occurred_at, day, seconds, completed)
    VALUES (NEW.app_id, NEW.env, NEW.user_id, NEW.course_id, NEW.lesson_id, NEW.updated_at,
            date(NEW.updated_at, (SELECT utc_offset_minutes FROM apps WHERE id = NEW.app_id) || ' minutes'),
            NEW.time_spent_seconds, NEW.completed_at IS NOT NULL);
END;

CREATE TRIGGER lesson_progress_logged_update AFTER UPDATE ON lesson_progress BEGIN
    INSERT INTO learning_activity (app_id, env, user_id, course_id, lesson_id, occurred_at, day, seconds, completed)
    VALUES (NEW.app_id, NEW.env, NEW.user_id, NEW.course_id, NEW.lesson_id, NEW.updated_at,
            date(NEW.updated_at, (SELECT utc_offset_minutes FROM apps WHERE id = NEW.app_id) || ' minutes'),
            MAX(NEW.time_spent_seconds - OLD.time_spent_seconds, 0),
            NEW.completed_at IS NOT NULL AND OLD.completed_at IS NULL);
END;

-- A learner's first activity on a day extends (or restarts) their streak. Activity arriving for
-- an earlier day (a sync, a late report) recounts the run that ends on the latest day.
CREATE TRIGGER learner_days_streak AFTER INSERT ON learner_days BEGIN
    UPDATE learner_totals SET
        active_days = active_days + 1,
        current_streak = CASE
            WHEN active_days = 0 OR NEW.day > date(last_day, '+1 day') THEN 1
            WHEN NEW.day = date(last_day, '+1 day') THEN current_streak + 1
            ELSE CAST(julianday(last_day) - julianday((
                SELECT MAX(d.day) FROM learner_days d
                WHERE d.app_id = NEW.app_id AND d.env = NEW.env AND d.user_id = NEW.user_id AND d.day <= last_day
                  AND NOT EXISTS (SELECT 1 FROM learner_days p WHERE p.app_id = d.app_id AND p.env = d.env
                                  AND p.user_id = d.user_id AND p.day = date(d.day, '-1 day')))) AS INTEGER) + 1
        END,
        last_day = CASE WHEN active_days = 0 THEN NEW.day ELSE MAX(last_day, NEW.day) END
    WHERE app_id = NEW.app_id AND env = NEW.env AND user_id = NEW.user_id;
END;
