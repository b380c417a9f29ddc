"""Lessons: the content a learner follows, one of seven content types, ordered in a module."""
