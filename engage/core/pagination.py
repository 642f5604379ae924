"""Page-number pagination for lists that must work without JavaScript (links to ?page=N) and
with htmx ("load more" fetches the next page's items): one COUNT and one SELECT per page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from engage.extensions import db

DEFAULT_PER_PAGE = 20
MAX_PAGE = 100_000


def page_number(value: Any) -> int:
    """The page asked for in a query string: a whole number from 1, anything else is page 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first item in the whole list."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0


def paginate(statement: Select, number: int, per_page: int = DEFAULT_PER_PAGE,
             scalars: bool = True, count: Select | None = None) -> Page:
    """Page `number` of `statement` (which carries its ORDER BY): the total is counted on the
    same statement without its order, so filters and count always agree — or by `count`, a
    cheaper statement the caller knows gives the same number."""
    if count is None:
        count = select(func.count()).select_from(statement.order_by(None).subquery())
    total = db.session.scalar(count) or 0
    offset = (number - 1) * per_page
    page_statement = statement.limit(per_page).offset(offset)
    result = db.session.execute(page_statement)
    items = list(result.unique().scalars() if scalars else result.unique().all())
    return Page(items=items, number=number, per_page=per_page, total=total)
