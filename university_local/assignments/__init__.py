"""Assignments: work learners upload for a lesson, and its grading against a rubric.

`models.py` the request models, `service.py` the rules and SQL (deadlines, late penalties,
attempts, rubric grading, events), `resources.py` the shapes of assignments and submissions,
`routes.py` the endpoints. The multipart reader and the content-addressed file store are
`core/uploads.py`.
"""
