"""Quizzes: five question types, attempts on the server's clock, grading and answer hiding."""
