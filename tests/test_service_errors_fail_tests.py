"""An error a service logs while its test runs is what the autouse check in
tests/conftest.py (no_unexpected_service_error) fails the test for: the watched logs, read
from where each service started, by what they gained since the last look."""

from __future__ import annotations

import subprocess
import sys

import pytest

from logfail import service_errors, watch_service_log

A_SERVICE = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("cicada.gateway")
log.info("gateway ready")
log.warning("a caller hung up early")
log.error("publishing an event failed; the gateway goes on")
try:
    {}["missing"]
except KeyError:
    log.exception("a command failed")
raise SystemExit("the gateway cannot bind")
"""


@pytest.mark.service_errors_expected
def test_error_lines_and_tracebacks_are_found_once_and_warnings_are_not(tmp_path):
    log_path = tmp_path / "gateway.log"
    log_path.write_text("ERROR cicada.gateway: from a run before the watch\n")
    with open(log_path, "ab") as log:
        service = subprocess.Popen([sys.executable, "-c", A_SERVICE], stderr=log)
        watch_service_log(log_path, service)
        service.wait()
    found = [line.split(": ", 1)[1] for line in service_errors()]
    assert found == ["ERROR cicada.gateway: publishing an event failed; the gateway goes on",
                     "ERROR cicada.gateway: a command failed",
                     "traceback: KeyError: 'missing'"]
    assert service_errors() == []  # read once; and the ended service is no longer watched
