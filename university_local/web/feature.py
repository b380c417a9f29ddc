from university_local.core.features import Feature
from university_local.web.assignment_routes import assignment_pages
from university_local.web.discussion_routes import discussion_pages
from university_local.web.quiz_routes import quiz_pages
from university_local.web.routes import pages

FEATURE = Feature("web", web=(pages, quiz_pages, discussion_pages, assignment_pages))
