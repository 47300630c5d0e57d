"""The supervisor's PySide6 workbench: configuration, wallboard, reports."""
