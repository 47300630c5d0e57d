"""The action box: follow-up transactions started from an interaction."""
