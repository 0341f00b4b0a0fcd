"""Missing word: a single choice whose answers fill a blank inside the sentence."""

from __future__ import annotations

from learning.quizzes.grading.single import SingleChoice
from learning.quizzes.questions import MISSINGWORD


class MissingWord(SingleChoice):
    name = MISSINGWORD
    label = "missing-word"
    allows_blank = True
    requires_blank = True
