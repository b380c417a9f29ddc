-- Folding the activity log into the rollups as one statement. Inserting a row here names a slice
-- of learning_activity; the trigger folds it into the four rollups and, for a catch-up, moves
-- rollup_state past it (analytics/rollups.py). As one statement, a fold is an ordinary job of the
-- store's writer thread and one trip into SQLite. As four statements in a transaction it held the
-- write lock while it won the GIL back after each one, and under load every progress write
-- waited 100-300 ms behind it.

CREATE TABLE rollup_folds (
    after    INTEGER NOT NULL,  -- the slice: log rows with an id after this one,
    through  INTEGER NOT NULL,  -- up to and including this one,
    app_id   TEXT               -- of this app only (a rebuild), or NULL: of every app (a catch-up)
);

-- Order matters: a learner's totals row exists before their new days go in, because each new day
-- extends their streak (trigger learner_days_streak), and days go in in order so that streaks
-- mostly just grow. The latest change (by time, then by log order) names the lesson a learner
-- was last on.
CREATE TRIGGER rollup_folds_fold AFTER INSERT ON rollup_folds BEGIN
    INSERT INTO activity_daily (app_id, env, course_id, day, user_id, seconds, lessons_completed, events)
       SELECT app_id, env, course_id, day, user_id, SUM(seconds), SUM(completed), COUNT(*)
       FROM learning_activity
       WHERE id > NEW.after AND id <= NEW.through AND (NEW.app_id IS NULL OR app_id = NEW.app_id)
       GROUP BY app_id, env, course_id, day, user_id
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed, events = events + excluded.events;
    INSERT INTO learner_totals (app_id, env, user_id, seconds, lessons_completed, active_days, last_day,
                                current_streak)
       SELECT app_id, env, user_id, SUM(seconds), SUM(completed), 0, MIN(day), 0
       FROM learning_activity
       WHERE id > NEW.after AND id <= NEW.through AND (NEW.app_id IS NULL OR app_id = NEW.app_id)
       GROUP BY app_id, env, user_id
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed;
    INSERT INTO learner_days (app_id, env, user_id, day, seconds, lessons_completed, events)
       SELECT app_id, env, user_id, day, SUM(seconds), SUM(completed), COUNT(*)
       FROM learning_activity
       WHERE id > NEW.after AND id <= NEW.through AND (NEW.app_id IS NULL OR app_id = NEW.app_id)
       GROUP BY app_id, env, user_id, day ORDER BY app_id, env, user_id, day
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed, events = events + excluded.events;
    INSERT INTO learner_courses (app_id, env, course_id, user_id, seconds, lessons_completed, events,
                                 last_activity_id, last_lesson_id, last_activity_at)
       SELECT app_id, env, course_id, user_id, SUM(seconds), SUM(completed), COUNT(*),
              MAX(CASE WHEN latest = 1 THEN id END), MAX(CASE WHEN latest = 1 THEN lesson_id END), MAX(occurred_at)
       FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY app_id, env, course_id, user_id
                                          ORDER BY occurred_at DESC, id DESC) AS latest
             FROM learning_activity
             WHERE id > NEW.after AND id <= NEW.through AND (NEW.app_id IS NULL OR app_id = NEW.app_id))
       WHERE true GROUP BY app_id, env, course_id, user_id
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed, events = events + excluded.events,
           last_lesson_id = CASE WHEN (excluded.last_activity_at, excluded.last_activity_id)
                                      > (last_activity_at, last_activity_id)
                                 THEN excluded.last_lesson_id ELSE last_lesson_id END,
           last_activity_id = CASE WHEN (excluded.last_activity_at, excluded.last_activity_id)
                                        > (last_activity_at, last_activity_id)
                                   THEN excluded.last_activity_id ELSE last_activity_id END,
           last_activity_at = MAX(last_activity_at, excluded.last_activity_at);
    UPDATE rollup_state SET applied_through = NEW.through WHERE NEW.app_id IS NULL;
    DELETE FROM rollup_folds;
END;
