"""Dense 1..n positions of children under a parent (modules in a course, lessons in a module).

Every function runs inside the caller's transaction, so positions are never seen half-moved.
`table` and `parent` are code constants, never client input.
"""

from __future__ import annotations

import sqlite_utils

from university_local.core.errors import ApiError


def _count(db: sqlite_utils.Database, table: str, parent: str, parent_id: str) -> int:
    return db.execute(
        f"SELECT COUNT(*) FROM {table} WHERE {parent} = ? AND deleted_at IS NULL", (parent_id,)
    ).fetchone()[0]


def open_slot(db: sqlite_utils.Database, table: str, parent: str, parent_id: str, wanted: int | None) -> int:
    """Make room for a new child at `wanted` (clamped; None appends) and return its position."""
    size = _count(db, table, parent, parent_id)
    position = size + 1 if wanted is None else max(1, min(wanted, size + 1))
    db.execute(
        f"UPDATE {table} SET position = position + 1 WHERE {parent} = ? AND deleted_at IS NULL AND position >= ?",
        (parent_id, position),
    )
    return position


def close_slot(db: sqlite_utils.Database, table: str, parent: str, parent_id: str, position: int) -> None:
    """Close the gap a removed child left."""
    db.execute(
        f"UPDATE {table} SET position = position - 1 WHERE {parent} = ? AND deleted_at IS NULL AND position > ?",
        (parent_id, position),
    )


def move(db: sqlite_utils.Database, table: str, parent: str, parent_id: str, row_id: str, old: int, wanted: int) -> int:
    """Move a child from `old` to `wanted` (clamped), shifting the ones between."""
    new = max(1, min(wanted, _count(db, table, parent, parent_id)))
    if new < old:
        db.execute(
            f"UPDATE {table} SET position = position + 1 WHERE {parent} = ? AND deleted_at IS NULL "
            "AND position >= ? AND position < ?",
            (parent_id, new, old),
        )
    elif new > old:
        db.execute(
            f"UPDATE {table} SET position = position - 1 WHERE {parent} = ? AND deleted_at IS NULL "
            "AND position > ? AND position <= ?",
            (parent_id, old, new),
        )
    db.execute(f"UPDATE {table} SET position = ? WHERE id = ?", (new, row_id))
    return new


def reorder(db: sqlite_utils.Database, table: str, parent: str, parent_id: str, ids: list[str], field: str) -> None:
    """Set positions from a list that must name exactly the parent's live children, once each."""
    current = {
        row[0] for row in db.execute(f"SELECT id FROM {table} WHERE {parent} = ? AND deleted_at IS NULL", (parent_id,))
    }
    problems = []
    if len(set(ids)) != len(ids):
        problems.append("names an id more than once")
    if unknown := [i for i in ids if i not in current]:
        problems.append(f"names ids that are not here: {', '.join(sorted(set(unknown)))}")
    if missing := current - set(ids):
        problems.append(f"leaves out: {', '.join(sorted(missing))}")
    if problems:
        raise ApiError(422, "invalid_reorder", f"{field} must list each of them exactly once; it " + "; ".join(problems) + ".",
                       pointer=f"/{field}")
    for position, row_id in enumerate(ids, start=1):
        db.execute(f"UPDATE {table} SET position = ? WHERE id = ?", (position, row_id))
