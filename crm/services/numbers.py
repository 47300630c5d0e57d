"""Number ranges: customer numbers and transaction numbers, safe under concurrency."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.models import NumberRange

CUSTOMER = "customer"
FORMATS = {
    CUSTOMER: "C{:08d}",
    "service_order": "SV{:08d}",
    "complaint": "CP{:08d}",
    "sales_order": "SO{:08d}",
    "lead": "LD{:08d}",
    "opportunity": "OP{:08d}",
    "callback": "CB{:08d}",
    "task": "TK{:08d}",
    "product": "P{:06d}",
}


def next_number(session: Session, name: str) -> str:
    return FORMATS[name].format(next_values(session, name, 1)[0])


def next_values(session: Session, name: str, count: int) -> range:
    """Reserve `count` consecutive values; the row lock serializes writers."""
    from crm.db import insert_or_ignore  # here: the desktop imports the actions' services, never crm.db

    session.execute(insert_or_ignore(session, NumberRange).values(name=name, next_value=1))
    stmt = (
        update(NumberRange)
        .where(NumberRange.name == name)
        .values(next_value=NumberRange.next_value + count)
        .returning(NumberRange.next_value)
    )
    after = session.execute(stmt).scalar_one()
    return range(after - count, after)


def peek(session: Session, name: str) -> int:
    value = session.scalar(select(NumberRange.next_value).where(NumberRange.name == name))
    return value or 1
