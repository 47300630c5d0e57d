"""The agent's PySide6 workbench."""
