"""The live wallboard: the model of queues and agents (model), the gateway feed that keeps it
live (feed), the page and its event stream (routes)."""
