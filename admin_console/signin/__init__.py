"""Signing in and out of the console with the CRM's accounts and sessions."""
