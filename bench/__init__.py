"""Reproducible benchmarks: ``make bench`` prints figures (they are measurements, not tests)."""
