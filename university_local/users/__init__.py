"""Local learner and instructor accounts that the API's `user_id`s refer to."""
