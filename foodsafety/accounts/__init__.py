"""Accounts: users, login with its second factor, sessions, passwords and two-factor policies."""
