"""Dense 1..n positions of children under a parent (modules in a course, lessons in a module).

Every function runs inside the caller's transaction, so positions are never seen half-moved.
`table` and `parent` are code constants, never client input.
"""

from __future__ import annotations

from university_local.core.db import Db
from university_local.core.errors import ApiError

_SIBLINGS = "{parent} = :parent AND deleted_at IS NULL AND app_id = :app AND env = :env"


def _count(db: Db, table: str, parent: str, parent_id: str) -> int:
    count: int = db.scalar(f"SELECT COUNT(*) FROM {table} WHERE {_SIBLINGS.format(parent=parent)}",
                           {"parent": parent_id})
    return count


def open_slot(db: Db, table: str, parent: str, parent_id: str, wanted: int | None) -> int:
    """Make room for a new child at `wanted` (clamped; None appends) and return its position."""
    size = _count(db, table, parent, parent_id)
    position = size + 1 if wanted is None else max(1, min(wanted, size + 1))
    db.execute(f"UPDATE {table} SET position = position + 1 WHERE {_SIBLINGS.format(parent=parent)} "
               "AND position >= :position", {"parent": parent_id, "position": position})
    return position


def close_slot(db: Db, table: str, parent: str, parent_id: str, position: int) -> None:
    """Close the gap a removed child left."""
    db.execute(f"UPDATE {table} SET position = position - 1 WHERE {_SIBLINGS.format(parent=parent)} "
               "AND position > :position", {"parent": parent_id, "position": position})


def move(db: Db, table: str, parent: str, parent_id: str, row_id: str, old: int, wanted: int) -> int:
    """Move a child from `old` to `wanted` (clamped), shifting the ones between."""
    new = max(1, min(wanted, _count(db, table, parent, parent_id)))
    siblings = _SIBLINGS.format(parent=parent)
    params = {"parent": parent_id, "old": old, "new": new}
    if new < old:
        db.execute(f"UPDATE {table} SET position = position + 1 WHERE {siblings} "
                   "AND position >= :new AND position < :old", params)
    elif new > old:
        db.execute(f"UPDATE {table} SET position = position - 1 WHERE {siblings} "
                   "AND position > :old AND position <= :new", params)
    db.update(table, row_id, {"position": new})
    return new


def reorder(db: Db, table: str, parent: str, parent_id: str, ids: list[str], field: str) -> None:
    """Set positions from a list that must name exactly the parent's live children, once each."""
    current = {row[0] for row in db.all(f"SELECT id FROM {table} WHERE {_SIBLINGS.format(parent=parent)}",
                                        {"parent": parent_id})}
    problems = []
    if len(set(ids)) != len(ids):
        problems.append("names an id more than once")
    if unknown := [i for i in ids if i not in current]:
        problems.append(f"names ids that are not here: {', '.join(sorted(set(unknown)))}")
    if missing := current - set(ids):
        problems.append(f"leaves out: {', '.join(sorted(missing))}")
    if problems:
        raise ApiError(422, "invalid_reorder", f"{field} must list each of them exactly once; it "
                       + "; ".join(problems) + ".", pointer=f"/{field}")
    for position, row_id in enumerate(ids, start=1):
        db.update(table, row_id, {"position": position})
