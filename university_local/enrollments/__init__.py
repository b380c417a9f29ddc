"""Enrollments: who takes which course, until when, and how far they have got."""
