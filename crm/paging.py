"""Paged results, for lists that can hold a million rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from crm.errors import ValidationError

T = TypeVar("T")
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int | None = None  # None: not counted (too costly), see has_more
    has_more: bool = False
    notes: list[str] = field(default_factory=list)


def check_paging(page: int, page_size: int) -> int:
    """The row offset of `page`; rejects sizes a client should never ask for."""
    if page < 1:
        raise ValidationError(f"page must be 1 or more, not {page}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(f"page size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}")
    return (page - 1) * page_size
