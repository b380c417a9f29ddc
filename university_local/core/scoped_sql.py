"""The tenancy rule, checked on the text of every statement a scoped `Db` runs.

Rule: every reference to a tenant table (one with `app_id` and `env` columns) is filtered by the
scope's own tenant, `x.app_id = :app AND x.env = :env` (or the bare columns for an unaliased
table), and an INSERT into one takes `:app` and `:env`. A join through a foreign key is not
enough: a forgotten clause would be a cross-tenant leak that only this check notices. Batched
statements (core/writer_process.py) carry their tenant per job, so for them the values are
`j.app` and `j.env`. A statement's RETURNING clause may also compare with the row it wrote
(`lesson_progress.app_id`), which the INSERT took from the scope.

The check reads SQL the way a reviewer would: it finds each table after FROM, JOIN, UPDATE and
INTO with its alias, and counts the tenant comparisons made on that alias. It is not a SQL
parser, and need not be: statements are code constants, each checked once per process, and a
statement it cannot read is refused, never let through.
"""

from __future__ import annotations

import re
from collections import Counter

TENANT = (":app", ":env")
BATCH_TENANT = ("j.app", "j.env")


class UnscopedQuery(Exception):
    """A statement on a tenant table that does not take its tenant from the scope."""


_STRIP = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
_TOKEN = re.compile(r":\w+|\w+(?:\.\w+)?|\S")
# Words after a table reference that end it (so are not its alias).
_ENDS = frozenset({
    "WHERE", "ON", "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "OUTER", "CROSS", "NATURAL", "GROUP", "ORDER", "LIMIT",
    "SET", "USING", "UNION", "EXCEPT", "INTERSECT", "WINDOW", "HAVING", "RETURNING", "VALUES", "SELECT", "DEFAULT",
    "AND", "OR", "INDEXED", "NOT", "AS",
})


def check(sql: str, tenant_tables: frozenset[str], tenant: tuple[str, str] = TENANT) -> None:
    """Raise UnscopedQuery unless every tenant table in `sql` is filtered by `tenant`."""
    tokens = _TOKEN.findall(_STRIP.sub(" ", sql))
    upper = [t.upper() for t in tokens]
    references: Counter[str] = Counter()  # name (alias, or the table itself) -> references
    tables: dict[str, str] = {}
    inserted: list[str] = []
    i = 0
    while i < len(tokens):
        word = upper[i]
        if word in ("FROM", "JOIN") or (word == "UPDATE" and _next(upper, i) not in ("SET", None)):
            i = _sources(tokens, upper, i + 1, word == "FROM", references, tables, tenant_tables)
            continue
        if word == "INTO" and i + 1 < len(tokens) and tokens[i + 1].lower() in tenant_tables:
            inserted.append(tokens[i + 1].lower())
        i += 1
    for table in inserted:
        if not all(value in tokens for value in tenant):
            raise UnscopedQuery(f"INSERT INTO {table} must take its tenant from the scope ({', '.join(tenant)})")
    values = {column: {value, *(f"{table}.{column}" for table in inserted)}
              for column, value in zip(("app_id", "env"), tenant)}
    bare = {column: _count(tokens, column, values[column]) for column in values}
    for name, count in references.items():
        for column, value in zip(("app_id", "env"), tenant):
            filtered = _count(tokens, f"{name}.{column}", values[column])
            if filtered < count and name == tables[name]:  # an unaliased table may use the bare column
                taken = min(bare[column], count - filtered)
                bare[column] -= taken
                filtered += taken
            if filtered < count:
                raise UnscopedQuery(f"{tables[name]} ({name}) is read or written without "
                                    f"{name}.{column} = {value}: every tenant table takes its tenant from the scope")


def _next(upper: list[str], i: int) -> str | None:
    return upper[i + 1] if i + 1 < len(upper) else None


def _sources(tokens: list[str], upper: list[str], i: int, many: bool, references: Counter[str],
             tables: dict[str, str], tenant_tables: frozenset[str]) -> int:
    """Read the table (FROM: the comma-separated tables) starting at `i`; return where it ends."""
    while i < len(tokens):
        if upper[i] == "OR" and upper[i - 1] == "UPDATE":  # UPDATE OR IGNORE t
            i += 2
        name = tokens[i]
        if name == "(":  # a subquery: its own FROM is read when the scan reaches it
            return i
        i += 1
        if i < len(tokens) and tokens[i] == "(":  # a table-valued function such as json_each(...)
            depth = 0
            while i < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[i], 0)
                i += 1
                if depth == 0:
                    break
            table = None
        else:
            table = name.lower()
        if i < len(tokens) and upper[i] == "AS":
            i += 1
        alias = None
        if i < len(tokens) and re.fullmatch(r"\w+", tokens[i]) and upper[i] not in _ENDS:
            alias = tokens[i]
            i += 1
        if table in tenant_tables:
            reference = alias or table
            if tables.get(reference, table) != table:
                raise UnscopedQuery(f"the name {reference} stands for two tables; give each its own alias")
            tables[reference] = table
            references[reference] += 1
        if not (many and i < len(tokens) and tokens[i] == ","):
            return i
        i += 1
    return i


def _count(tokens: list[str], column: str, values: set[str]) -> int:
    """How many times `column = value` (or `+column = value`) is written, for any of `values`."""
    return sum(1 for n in range(len(tokens) - 2)
               if tokens[n] == column and tokens[n + 1] == "=" and tokens[n + 2] in values)
