"""`?pageNumber=&pageSize=` as the reference pages its lists (docs/api/PAGINATION.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from broker.api.hal import link
from broker.errors import ValidationFailed

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    def links(self, request: Request, self_href: str, total: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.number * self.size < total:
            out["next"] = link(
                f"{self_href}?{urlencode({'pageNumber': self.number + 1, 'pageSize': self.size})}",
                title="Next page",
            )
        if self.number > 1:
            out["previous"] = link(
                f"{self_href}?{urlencode({'pageNumber': self.number - 1, 'pageSize': self.size})}",
                title="Previous page",
            )
        return out

    def summary(self, total: int) -> dict[str, int]:
        return {
            "number": self.number,
            "size": self.size,
            "totalElements": total,
            "totalPages": -(-total // self.size),
        }


async def page_from(request: Request) -> Page:
    def parse(name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationFailed.one(name, "must be a whole number of at least 1")
        return int(raw)

    return Page(parse("pageNumber", 1), min(parse("pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE))
