"""Courses: the catalogue's top level, with derived counts, durations and settings."""
