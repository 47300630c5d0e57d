"""The report exports' writers, for `cicada report` and the console's downloads alike: CSV (a
chunk of rows at a time), a JSON array (a row at a time) and Excel (openpyxl in write-only mode:
rows go to the file as they come). Each takes the columns and an iterable of records (dicts, as
crm.reports.queue_report's queue_record and contact_record make them)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO

Record = Mapping[str, object]
ROWS_PER_CHUNK = 500  # CSV rows per piece handed on (a download's pieces, a file's writes)


def csv_chunks(columns: Sequence[str], records: Iterable[Record], rows: int = ROWS_PER_CHUNK) -> Iterator[str]:
    """The CSV text (header first) in pieces of `rows` rows: memory holds one piece."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns)
    writer.writeheader()
    for index, one in enumerate(records, 1):
        writer.writerow(one)
        if index % rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(out: IO[str], columns: Sequence[str], records: Iterable[Record]) -> None:
    for chunk in csv_chunks(columns, records):
        out.write(chunk)


def write_json(out: IO[str], columns: Sequence[str], records: Iterable[Record]) -> None:
    """A JSON array written a row at a time."""
    out.write("[")
    for index, one in enumerate(records):
        out.write(",\n" if index else "\n")
        out.write(json.dumps(one, ensure_ascii=False))
    out.write("\n]\n")


def write_xlsx(out: IO[bytes], columns: Sequence[str], records: Iterable[Record], title: str = "report") -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # rows go to the file as they come
    sheet = book.create_sheet(title)
    sheet.append(list(columns))
    for one in records:
        sheet.append([one[name] for name in columns])
    book.save(out)
