"""The learner web app: server-rendered pages at `/` for learners on the classroom network."""
