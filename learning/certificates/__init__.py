"""Signed completion certificates: Open Badges 3.0 credentials and their printable forms."""
