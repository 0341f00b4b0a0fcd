"""Quizzes: question bank, question types and grading, GIFT import/export, attempts."""
