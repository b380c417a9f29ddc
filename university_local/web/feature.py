from university_local.core.features import Feature
from university_local.web.assignment_routes import assignment_pages
from university_local.web.discussion_routes import discussion_pages
from university_local.web.quiz_routes import quiz_pages
from university_local.web.routes import pages
from university_local.web.signin_routes import router as signin_api

FEATURE = Feature("web", api=(signin_api,), web=(pages, quiz_pages, discussion_pages, assignment_pages))
