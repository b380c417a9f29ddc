"""Building blocks for request and response models, shared by every feature."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from university_local.core.clock import to_iso


class ApiModel(BaseModel):
    """Request bodies: unknown fields are errors, and JSON types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Attributes(BaseModel):
    """Response attributes (documentation and OpenAPI only; responses are built as dicts)."""

    model_config = ConfigDict(extra="forbid")


def _utc(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be an ISO 8601 date-time string")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2030-01-31T09:00:00Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time out of range") from None
    if not 1970 <= value.year <= 9999:
        raise ValueError("date-time must be between 1970 and 9999")
    return to_iso(value)


# A date-time in, normalised to the stored UTC `...Z` string; naive times are taken as UTC.
UtcDateTime = Annotated[str, BeforeValidator(_utc), Field(json_schema_extra={"format": "date-time"})]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


def _web_or_local_url(value: str) -> str:
    if value.startswith("/") and not value.startswith("//"):
        return value  # a file served by this server
    return _web_url(value)


WebUrl = Annotated[str, Field(max_length=2048, pattern=r"^https?://[^/]"), AfterValidator(_web_url)]
ContentUrl = Annotated[
    str,
    Field(max_length=2048, pattern=r"^(https?://[^/]|/[^/]|/$)",
          description="An http(s) URL, or a path on this server starting with /"),
    AfterValidator(_web_or_local_url),
]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
Description = Annotated[str, Field(max_length=10_000)]
ExternalId = Annotated[str, Field(min_length=1, max_length=128)]


def comma_choices(value: str, choices: tuple[str, ...], field: str) -> str:
    """A comma-separated subset of `choices` (a query such as `include=a,b`), normalised to the
    choices' order without repeats; ValueError naming the choices otherwise."""
    names = {name.strip() for name in value.split(",") if name.strip()}
    if not names or names - set(choices):
        raise ValueError(f"{field}: choose from {', '.join(choices)}")
    return ",".join(choice for choice in choices if choice in names)


def envelope(type_name: str, attributes: type[BaseModel], *, name: str) -> type[BaseModel]:
    """The JSON:API request document `{"data": {"type": ..., "attributes": {...}}}`."""
    data = create_model(
        f"{name}Data",
        __base__=ApiModel,
        type=(Literal[type_name], ...),  # type: ignore[arg-type]
        id=(str | None, None),
        attributes=(attributes, ...),
    )
    return create_model(name, __base__=ApiModel, data=(data, ...))


def unchanged(**field: Any) -> Any:
    """The default of a PATCH attribute: left out of the body, it keeps its stored value (see
    `patch_fields`). The attribute's own type says whether `null` is allowed:
    `title: Title = unchanged()` refuses null, `description: Description | None = unchanged()`
    clears it."""
    return Field(None, **field)


def patch_fields(model: BaseModel) -> dict[str, Any]:
    """Only the attributes the client sent: PATCH is partial."""
    return {name: getattr(model, name) for name in model.model_fields_set}
