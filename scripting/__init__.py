"""Prompt and interactive call scripts."""
