"""The suite's own home (tests/conftest.py): nothing a test starts writes into the real one."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import platformdirs


def test_the_tests_and_the_services_they_start_write_into_a_home_of_their_own():
    home = Path(os.environ["HOME"])
    assert home != Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert home.name.startswith("cicada-test-home-") and home.is_dir()
    for folder in (platformdirs.user_cache_dir("cicada"), platformdirs.user_config_dir("cicada"),
                   platformdirs.user_data_dir("cicada"), platformdirs.user_state_dir("cicada")):
        assert Path(folder).is_relative_to(home)


def test_qt_keeps_the_desktops_settings_in_the_tests_home(qapp):
    from PySide6.QtCore import QSettings

    assert Path(QSettings().fileName()).is_relative_to(os.environ["HOME"])
