"""Reports: the figures' definitions (`definitions.py`), written once for the reports and the
console's wallboard, and the per-contact facts they are computed from, read from the queue
event log (`queue_contacts.py`)."""
