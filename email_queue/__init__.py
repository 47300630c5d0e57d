"""Email (SMTP/IMAP) and web chat, queued and routed to agents."""
