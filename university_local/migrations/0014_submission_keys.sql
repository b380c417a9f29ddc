-- A submission may carry the key of the upload that made it: the same upload sent again (a retry
-- after a dropped connection) finds its first submission instead of making a second.
ALTER TABLE submissions ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX submissions_idempotency ON submissions(app_id, env, assignment_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
