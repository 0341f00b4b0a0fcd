"""Live sessions: scheduling across time zones, registration, iCalendar, reminders, attendance."""
