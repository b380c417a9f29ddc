"""Page-number pagination shared by every list endpoint (default 20, at most 100 per page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # keeps the row offset a 64-bit integer for SQLite


class PageQuery(BaseModel):
    """Query parameters every list accepts. `per_page` above the maximum is capped, not refused."""

    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, description=f"Items per page, at most {MAX_PER_PAGE}.")

    @field_validator("per_page")
    @classmethod
    def _cap(cls, value: int) -> int:
        return min(value, MAX_PER_PAGE)

    @property
    def window(self) -> Page:
        return Page(self.page, self.per_page)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def meta(self, total: int) -> dict[str, Any]:
        return {"total": total, "page": self.number, "per_page": self.size}
