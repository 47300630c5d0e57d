"""Supervisors acting on agents from the console: Not ready, log off, messages; the trail of actions."""
