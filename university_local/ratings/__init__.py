"""Course ratings: a learner rates a course once, 1 to 5 stars with an optional plain-text review,
and may change it later.

Only learners with an enrollment in the course that is not cancelled may rate it (an expired
enrollment still may: the learner took the course). The rating keeps its id when it is changed;
`updated_at` records the change, so analytics can ask for "ratings given or changed in a period"
(`service.rating_summary`). A secret key may delete a rating (moderation).
"""
