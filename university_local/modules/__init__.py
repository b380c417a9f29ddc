"""Modules: ordered sections of a course that group lessons and can unlock on a date."""
