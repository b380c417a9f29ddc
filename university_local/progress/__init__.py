"""Progress: what each learner has done in each lesson, and the course view built from it."""
