"""`Client`: every call of the University API, by feature."""

from __future__ import annotations

from client.analytics import AnalyticsCalls
from client.assessment import AssessmentCalls
from client.catalogue import CatalogueCalls
from client.certificates import CertificateCalls
from client.discussions import DiscussionCalls
from client.grading import GradingCalls
from client.learners import LearnerCalls
from client.scorm import ScormCalls


class Client(CatalogueCalls, LearnerCalls, AssessmentCalls, DiscussionCalls, CertificateCalls, ScormCalls,
             AnalyticsCalls, GradingCalls):
    """A typed client of the University API for one API key of one organisation.

    `Client(base_url, app_id, api_key)`, with `base_url` the server root (`http://127.0.0.1:8080`).
    Raw verbs (`get`, `post`, `patch`, `delete`) answer the `httpx.Response` whatever its status;
    every other call returns parsed JSON (resources as dicts) and raises `ApiError` on a non-2xx
    answer or when no answer comes. Use it as a context manager, or `close()` it.
    """
