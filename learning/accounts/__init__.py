"""Accounts: users, roles, cities and organisations, sign-in, profile, administration."""
