"""Analytics: course, learner and leaderboard figures read from rollups kept by the database."""
