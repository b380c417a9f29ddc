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

-- "Active today" reads the attempts started or submitted, the work handed in and the posts made
-- since the organisation's midnight: by time, within the tenant. Each column is written once
-- (saving answers or grading does not touch them), so these cost writes almost nothing.
CREATE INDEX quiz_attempts_started ON quiz_attempts(app_id, env, started_at);
CREATE INDEX quiz_attempts_submitted ON quiz_attempts(app_id, env, submitted_at);
CREATE INDEX submissions_submitted ON submissions(app_id, env, submitted_at);
CREATE INDEX discussions_created ON discussions(app_id, env, created_at);
CREATE INDEX discussion_replies_created ON discussion_replies(app_id, env, created_at);
