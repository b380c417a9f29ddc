"""The five question types: how each is defined, answered, graded and shown to a learner.

Everything about one question type lives in its model: the definition an instructor writes,
`check` (does an answer fit the question at all? if not, the attempt is refused with 422 rather
than graded wrongly), `grade` (points for an answer that fits) and `for_learner` (the question
without what gives the answer away). Grading is pure: the same question and answer always give
the same result, so a retried submission and a re-scored attempt agree.

Answers, by type:
- multiple_choice: the index of the chosen option, or a list of indexes when several may be chosen.
- true_false: true or false.
- fill_blank: the text typed in the blank.
- matching: a list of `[left_index, right_index]` pairs; left i matches right i of the definition.
- essay: the text; graded by an instructor later.
"""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from university_local.core.models import ApiModel

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Points = Annotated[int, Field(ge=0, le=1000)]
Explanation = Annotated[str | None, Field(None, max_length=5000)]
MAX_ANSWER_CHARS = 100_000


class AnswerError(ValueError):
    """An answer that does not fit its question (wrong JSON type, index out of range, ...)."""


class Option(ApiModel):
    text: Text
    correct: bool = False


class QuestionBase(ApiModel):
    question: Text
    points: Points = 1
    explanation: Explanation = None


class MultipleChoice(QuestionBase):
    """One or several correct options. With several, the learner picks a set; it scores only
    when the set is exactly right, unless `partial_credit` gives a share per right choice
    (less one per wrong choice, never below zero)."""

    type: Literal["multiple_choice"]
    options: list[Option] = Field(min_length=2, max_length=20)
    partial_credit: bool = False

    @model_validator(mode="after")
    def _one_correct(self) -> MultipleChoice:
        if not any(o.correct for o in self.options):
            raise ValueError("at least one option must be correct")
        return self

    @property
    def correct_indexes(self) -> set[int]:
        return {i for i, o in enumerate(self.options) if o.correct}

    @property
    def several(self) -> bool:
        return len(self.correct_indexes) > 1

    def check(self, answer: Any) -> set[int]:
        chosen = [answer] if _is_int(answer) else answer
        if not isinstance(chosen, list) or not all(_is_int(i) for i in chosen):
            raise AnswerError("expected the index of an option, or a list of indexes")
        if not all(0 <= i < len(self.options) for i in chosen):
            raise AnswerError(f"option indexes run from 0 to {len(self.options) - 1}")
        if len(set(chosen)) != len(chosen):
            raise AnswerError("an option is chosen twice")
        return set(chosen)

    def grade(self, answer: Any) -> tuple[float, bool]:
        chosen, right = self.check(answer), self.correct_indexes
        if chosen == right:
            return float(self.points), True
        if self.partial_credit and self.several:
            share = (len(chosen & right) - len(chosen - right)) / len(right)
            return round(max(0.0, share) * self.points, 2), False
        return 0.0, False

    def solution(self) -> dict[str, Any]:
        return {"correct_options": sorted(self.correct_indexes)}

    def for_learner(self, rng: random.Random) -> dict[str, Any]:
        return {"options": [{"text": o.text} for o in self.options], "select_several": self.several}


class TrueFalse(QuestionBase):
    type: Literal["true_false"]
    correct_answer: bool

    def check(self, answer: Any) -> bool:
        if not isinstance(answer, bool):
            raise AnswerError("expected true or false")
        return answer

    def grade(self, answer: Any) -> tuple[float, bool]:
        right = self.check(answer) == self.correct_answer
        return (float(self.points) if right else 0.0), right

    def solution(self) -> dict[str, Any]:
        return {"correct_answer": self.correct_answer}

    def for_learner(self, rng: random.Random) -> dict[str, Any]:
        return {}


class FillBlank(QuestionBase):
    """Any of `correct_answers` scores. Both sides are compared after Unicode normalisation
    (NFKC) with surrounding whitespace removed and inner runs of whitespace made one space;
    and, unless `case_sensitive`, without regard to case."""

    type: Literal["fill_blank"]
    correct_answers: list[Text] = Field(min_length=1, max_length=50)
    case_sensitive: bool = False

    def check(self, answer: Any) -> str:
        if not isinstance(answer, str):
            raise AnswerError("expected text")
        if len(answer) > 1000:
            raise AnswerError("at most 1000 characters")
        return answer

    def normalise(self, text: str) -> str:
        text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
        return text if self.case_sensitive else text.casefold()

    def grade(self, answer: Any) -> tuple[float, bool]:
        given = self.normalise(self.check(answer))
        right = any(given == self.normalise(a) for a in self.correct_answers)
        return (float(self.points) if right else 0.0), right

    def solution(self) -> dict[str, Any]:
        return {"correct_answers": self.correct_answers}

    def for_learner(self, rng: random.Random) -> dict[str, Any]:
        return {}


class Pair(ApiModel):
    left: Text
    right: Text


class Matching(QuestionBase):
    """Left item i belongs with right item i. All or nothing by default (the spec's example gives
    the full points for a fully right answer); `partial_credit` gives a share per right pair."""

    type: Literal["matching"]
    pairs: list[Pair] = Field(min_length=2, max_length=50)
    partial_credit: bool = False

    def check(self, answer: Any) -> dict[int, int]:
        if not isinstance(answer, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(_is_int(i) for i in p) for p in answer
        ):
            raise AnswerError("expected a list of [left_index, right_index] pairs")
        n = len(self.pairs)
        if not all(0 <= i < n for p in answer for i in p):
            raise AnswerError(f"indexes run from 0 to {n - 1}")
        lefts, rights = [p[0] for p in answer], [p[1] for p in answer]
        if len(set(lefts)) != len(lefts) or len(set(rights)) != len(rights):
            raise AnswerError("each left and each right item may be matched once")
        return dict(zip(lefts, rights, strict=True))

    def grade(self, answer: Any) -> tuple[float, bool]:
        matched = self.check(answer)
        right = sum(1 for left, r in matched.items() if left == r)
        if right == len(self.pairs):
            return float(self.points), True
        if self.partial_credit:
            return round(self.points * right / len(self.pairs), 2), False
        return 0.0, False

    def solution(self) -> dict[str, Any]:
        return {"correct_pairs": [[i, i] for i in range(len(self.pairs))]}

    def for_learner(self, rng: random.Random) -> dict[str, Any]:
        # Right items keep their index but are shown in a shuffled order, or the answer would be
        # the identity; `rng` is seeded by the attempt (or quiz), so the order is reproducible.
        rights = [{"index": i, "text": p.right} for i, p in enumerate(self.pairs)]
        rng.shuffle(rights)
        return {"left": [{"index": i, "text": p.left} for i, p in enumerate(self.pairs)], "right": rights}


class Essay(QuestionBase):
    """Graded by an instructor (`PATCH /attempts/{id}/grade`); until then the attempt is
    `pending_review`. An essay outside the word limits does not fit the question (422)."""

    type: Literal["essay"]
    min_words: int | None = Field(None, ge=0, le=100_000)
    max_words: int | None = Field(None, ge=1, le=100_000)
    rubric: str | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _limits(self) -> Essay:
        if self.min_words is not None and self.max_words is not None and self.min_words > self.max_words:
            raise ValueError("min_words is more than max_words")
        return self

    def check(self, answer: Any) -> str:
        if not isinstance(answer, str):
            raise AnswerError("expected text")
        if len(answer) > MAX_ANSWER_CHARS:
            raise AnswerError(f"at most {MAX_ANSWER_CHARS} characters")
        words = word_count(answer)
        if self.min_words is not None and words < self.min_words:
            raise AnswerError(f"{words} words; at least {self.min_words} are needed")
        if self.max_words is not None and words > self.max_words:
            raise AnswerError(f"{words} words; at most {self.max_words} are allowed")
        return answer

    def grade(self, answer: Any) -> tuple[float, bool]:
        self.check(answer)
        return 0.0, False

    def solution(self) -> dict[str, Any]:
        return {}

    def for_learner(self, rng: random.Random) -> dict[str, Any]:
        return {"min_words": self.min_words, "max_words": self.max_words}


Question = Annotated[MultipleChoice | TrueFalse | FillBlank | Matching | Essay, Field(discriminator="type")]
QUESTION_MODELS: tuple[type[QuestionBase], ...] = (MultipleChoice, TrueFalse, FillBlank, Matching, Essay)


def word_count(text: str) -> int:
    return len(text.split())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def grade_answer(question: Any, answer: Any, answered: bool) -> dict[str, Any]:
    """One question's result. Unanswered questions score nothing; essays wait for review."""
    if not answered:
        return {"correct": False, "points_earned": 0, "answered": False}
    if isinstance(question, Essay):
        return {"pending_review": True, "points_earned": 0, "answered": True}
    points, correct = question.grade(answer)
    return {"correct": correct, "points_earned": _tidy(points), "answered": True}


def _tidy(points: float) -> float | int:
    return int(points) if float(points).is_integer() else points


def learner_question(index: int, question: Any, rng: random.Random) -> dict[str, Any]:
    """A question as a learner may see it before answering: no answers, explanations or rubric."""
    return {"question_index": index, "type": question.type, "question": question.question,
            "points": question.points, **question.for_learner(rng)}
