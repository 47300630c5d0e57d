"""Alerts, the queues' figures over the last hour and today, and the staffing advice on the wallboard."""
