"""The report downloads' parts without a browser: the CSV writer hands its text on a piece at a
time, and the console's download thread runs only a few pieces ahead of its client, raises what
refused it before its first row, and stops when the client goes away."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from admin_console.reports.stream import AHEAD, ThreadStream
from crm.reports.exports import csv_chunks


def run_apart(main):
    """anyio.run on a thread of its own: a Playwright test before this one in the same process
    leaves its event loop marked running on the main thread."""
    with ThreadPoolExecutor(1) as apart:
        return apart.submit(anyio.run, main).result()


def test_csv_comes_in_pieces_of_rows_with_one_header():
    records = ({"n": n, "square": n * n} for n in range(1, 1201))
    pieces = list(csv_chunks(("n", "square"), records, rows=500))
    assert len(pieces) == 3  # 500, 500 and the last 200 rows
    rows = list(csv.DictReader(io.StringIO("".join(pieces))))
    assert len(rows) == 1200 and rows[-1] == {"n": "1200", "square": "1440000"}
    assert "".join(pieces).count("n,square") == 1


def test_the_thread_runs_a_few_pieces_ahead_and_stops_when_the_client_goes_away():
    made: list[int] = []
    ended = threading.Event()

    def produce(put, ready):
        ready()
        try:
            for n in range(10_000):
                put(str(n).encode())
                made.append(n)
        finally:
            ended.set()

    async def take_three() -> list[bytes]:
        stream = ThreadStream(produce)
        await stream.wait_ready()
        taken = []
        chunks = stream.chunks()
        async for piece in chunks:
            taken.append(piece)
            if len(taken) == 3:
                break
        await chunks.aclose()  # the client went away
        return taken

    assert run_apart(take_three) == [b"0", b"1", b"2"]
    assert ended.wait(5)  # the producer stopped, far from the end
    assert len(made) <= 3 + AHEAD + 1


def test_what_refuses_a_download_before_its_first_row_is_raised_to_the_page():
    def produce(put, ready):
        raise PermissionError("not his queue")

    async def start():
        await ThreadStream(produce).wait_ready()

    with pytest.raises(PermissionError, match="not his queue"):
        run_apart(start)
