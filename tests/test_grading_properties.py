"""Property tests of grading: any JSON as an answer either fits its question or is refused with
an AnswerError (never a crash), points stay within the question's, and a score within 0..100."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from university_local.quizzes.questions import AnswerError, Question, grade_answer

QUESTIONS = TypeAdapter(list[Question]).validate_python([
    {"type": "multiple_choice", "question": "one", "points": 10,
     "options": [{"text": "a"}, {"text": "b", "correct": True}, {"text": "c"}]},
    {"type": "multiple_choice", "question": "several", "points": 7, "partial_credit": True,
     "options": [{"text": "a", "correct": True}, {"text": "b", "correct": True}, {"text": "c"}]},
    {"type": "true_false", "question": "tf", "correct_answer": True, "points": 3},
    {"type": "fill_blank", "question": "blank", "correct_answers": ["Ñandú", "rhea"], "points": 4},
    {"type": "matching", "question": "pairs", "points": 9, "partial_credit": True,
     "pairs": [{"left": "1", "right": "one"}, {"left": "2", "right": "two"}, {"left": "3", "right": "three"}]},
    {"type": "matching", "question": "strict pairs", "points": 5,
     "pairs": [{"left": "x", "right": "ex"}, {"left": "y", "right": "why"}]},
    {"type": "essay", "question": "essay", "points": 20, "min_words": 2, "max_words": 50},
])
TOTAL = sum(q.points for q in QUESTIONS)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)
# Answers that often fit, so that grading itself is exercised, not only refusal.
plausible = st.one_of(
    st.integers(0, 3), st.lists(st.integers(0, 3), max_size=4), st.booleans(),
    st.sampled_from(["rhea", " RHEA ", "ñandú", "Ñandú", "x", "two words", "one"]),
    st.lists(st.lists(st.integers(0, 3), min_size=2, max_size=2), max_size=4),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(json_values, plausible), min_size=len(QUESTIONS), max_size=len(QUESTIONS)))
def test_grading_never_crashes_and_stays_in_bounds(answers: list[Any]) -> None:
    earned = 0.0
    for question, answer in zip(QUESTIONS, answers, strict=True):
        try:
            question.check(answer)
        except AnswerError:
            continue  # refused with a reason: the API answers 422 with a pointer to it
        result = grade_answer(question, answer, answered=True)
        assert 0 <= result["points_earned"] <= question.points
        earned += result["points_earned"]
    score = round(100 * earned / TOTAL, 2)
    assert 0 <= score <= 100


@settings(max_examples=200, deadline=None)
@given(plausible)
def test_grading_is_deterministic(answer: Any) -> None:
    for question in QUESTIONS:
        try:
            first = grade_answer(question, answer, answered=True)
        except AnswerError:
            continue
        assert grade_answer(question, answer, answered=True) == first
