"""Courses: courses, modules, items, runs, enrolments, progress, and content sync."""
