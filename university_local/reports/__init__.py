"""Course reports: per-learner exports of progress, time and quiz scores (CSV or JSON, streamed)."""
