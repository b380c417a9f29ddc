-- The grading queue and the instructor's overview (grading/service.py).
--
-- The queue reads only the work still waiting: essays of attempts pending review and submissions
-- not yet graded; the overview, failed attempts. Partial indexes keep those reads to those rows,
-- not every attempt and submission of the tenant. Each names the columns its WHERE fixes, so that
-- SQLite (which keeps no statistics here) prefers it to the wider indexes below.
CREATE INDEX quiz_attempts_pending_review ON quiz_attempts(app_id, env, status)
    WHERE status = 'pending_review';
CREATE INDEX submissions_ungraded ON submissions(app_id, env, graded_at)
    WHERE graded_at IS NULL;
CREATE INDEX quiz_attempts_failed ON quiz_attempts(app_id, env, status, passed, quiz_id, user_id)
    WHERE status = 'graded' AND passed = 0;

-- "Active today" reads the attempts started or submitted and the work handed in since the
-- organisation's midnight: today's rows of every tenant by time, then the tenant's (the queries
-- filter the tenant with `+`). The indexes do not start with the tenant so that no other read,
-- which filters the tenant and a quiz or an assignment, is drawn to them. Each column is written
-- once (saving answers or grading does not touch it), so they cost writes almost nothing. Posts
-- are found through their courses' threads: discussions/service.py's reads keep their indexes.
CREATE INDEX quiz_attempts_started ON quiz_attempts(started_at);
CREATE INDEX quiz_attempts_submitted ON quiz_attempts(submitted_at);
CREATE INDEX submissions_submitted ON submissions(submitted_at);
