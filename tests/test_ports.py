"""The test ports: never one a browser refuses to open (a web page under test on it fails)."""

from __future__ import annotations

import ports


def test_no_port_a_browser_refuses_is_handed_out():
    cursor = ports._Cursor()
    cursor.share, cursor.next = range(6660, 6680), 0  # around IRC's ports, which Chromium refuses
    handed = {cursor.take(1) for _ in range(60)}
    assert handed and not handed & ports.BROWSER_UNSAFE
    assert 6664 in handed and 6670 in handed  # their neighbours are fine
    cursor.next = 0
    first = cursor.take(3)
    assert not set(range(first, first + 3)) & ports.BROWSER_UNSAFE
