"""CRM services: every read and write of customer data goes through these,
with the actor's permissions checked here, not in the views."""
