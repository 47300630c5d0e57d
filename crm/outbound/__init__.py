"""Outbound campaigns' plain parts, free of the database: the campaign document
(settings.py), calling windows in the called person's local time (windows.py)
and the reading of call list files (list_files.py). The services that store
them are crm/services/campaigns.py, call_lists.py and do_not_call.py."""
