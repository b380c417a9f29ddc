"""Assignments: work learners upload for a lesson, and its grading against a rubric.

`models.py` the request and response models, `service.py` the rules and SQL (deadlines, late
penalties, attempts, rubric grading, events), `uploads.py` the streaming multipart reader and the
content-addressed file store, `routes.py` the endpoints.
"""
