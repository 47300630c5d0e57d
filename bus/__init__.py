"""ZeroMQ envelopes and the typed message schemas that cross process boundaries."""
