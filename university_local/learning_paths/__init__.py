"""Learning paths: guided curricula of courses with prerequisites between them.

A path orders courses, marks some optional, and says which courses must be completed before
another may be started. Publishing a path makes its prerequisites binding: enrolling in one of
its courses without them answers `prerequisite_not_met` (see `service.check_prerequisites`).
"""
