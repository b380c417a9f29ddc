"""The OpenAPI 3.1 document, generated from the route table and its pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from university_local.core.routing import ResourceType, Returns, Route

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


_IDENTIFIER = {
    "type": "object",
    "required": ["type", "id"],
    "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
}
_ERROR = {
    "type": "object",
    "required": ["status", "code", "title", "detail"],
    "properties": {
        "status": {"type": "string"},
        "code": {"type": "string"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "source": {
            "type": "object",
            "properties": {"pointer": {"type": "string"}, "parameter": {"type": "string"}},
        },
    },
}
_META = {
    "type": "object",
    "required": ["total"],
    "properties": {"total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}},
}
_ERROR_TEXT = {
    "400": "Bad request: malformed JSON or a bad query parameter",
    "401": "Missing or wrong X-App-Id / X-Api-Key",
    "403": "Not allowed: a publishable key on a secret-key operation, or a rule (locked lesson, expired enrollment)",
    "404": "No such resource for this tenant",
    "409": "Conflict with the current state (taken slug, id mismatch)",
    "413": "Request body over the configured limit",
    "422": "A field failed validation; source.pointer names it",
    "429": "Rate limit reached; see Retry-After",
    "503": "The server's disk is full or failing, or its database stayed busy: send the request again after "
           "Retry-After",
}


def build(routes: list[Route], *, title: str, version: str,
          extra_models: tuple[type[BaseModel], ...] = ()) -> dict[str, Any]:
    bodies = {r.body for r in routes if r.body} | {r.returns.model for r in routes if r.returns.model}
    bodies |= {r.raw_schema for r in routes if r.raw_schema}
    resources = {rt.name: rt for r in routes for rt in _resources(r.returns)}
    attributes = {rt.attributes for rt in resources.values()}
    inputs = sorted(bodies | set(extra_models), key=lambda m: m.__name__)
    outputs = sorted(attributes, key=lambda m: m.__name__)
    _, top = models_json_schema(
        [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs], ref_template=REF
    )
    schemas: dict[str, Any] = _drop_null_defaults(dict(top.get("$defs", {})))
    schemas.update(ResourceIdentifier=_IDENTIFIER, Error=_ERROR, ErrorDocument={
        "type": "object", "required": ["errors"],
        "properties": {"errors": {"type": "array", "items": _ref("Error")}},
    }, ListMeta=_META)
    for rt in resources.values():
        schemas[_resource_name(rt)] = _resource_schema(rt)

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "appId": {"type": "apiKey", "in": "header", "name": "X-App-Id"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
    }


def _resources(returns: Returns) -> list[ResourceType]:
    return ([returns.resource] if returns.resource else []) + list(returns.included)


def _resource_name(rt: ResourceType) -> str:
    return rt.name.title().replace("_", "") + "Resource"


def _resource_schema(rt: ResourceType) -> dict[str, Any]:
    relationships = {}
    for name in rt.relationships:
        if name in rt.to_many:
            data: dict[str, Any] = {"type": "array", "items": _ref("ResourceIdentifier")}
        else:
            data = {"anyOf": [_ref("ResourceIdentifier"), {"type": "null"}]}
        relationships[name] = {"type": "object", "required": ["data"], "properties": {"data": data}}
    return {
        "type": "object",
        "required": ["id", "type", "attributes"],
        "properties": {
            "id": {"type": "string"},
            "type": {"const": rt.name},
            "attributes": _ref(rt.attributes.__name__),
            "relationships": {"type": "object", "properties": relationships},
        },
    }


def _success_schema(returns: Returns) -> dict[str, Any] | None:
    if returns.kind in ("none", "raw"):
        return None
    if returns.kind == "model":
        assert returns.model is not None
        return _ref(returns.model.__name__)
    assert returns.resource is not None
    item = _ref(_resource_name(returns.resource))
    if returns.kind == "many":
        return {"type": "object", "required": ["data", "meta"],
                "properties": {"data": {"type": "array", "items": item}, "meta": _ref("ListMeta")}}
    schema: dict[str, Any] = {"type": "object", "required": ["data"], "properties": {"data": item}}
    if returns.included:
        schema["properties"]["included"] = {
            "type": "array", "items": {"anyOf": [_ref(_resource_name(rt)) for rt in returns.included]},
        }
    return schema


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in route.path_params
        ],
    }
    if route.query:
        schema = route.query.model_json_schema(ref_template=REF)
        for name, prop in schema.get("properties", {}).items():
            prop = {k: v for k, v in prop.items() if k != "title"}
            op["parameters"].append({"name": name, "in": "query", "required": False, "schema": prop})
    if route.body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(route.body.__name__)}}}
    elif route.raw_body:
        raw: dict[str, Any] = _ref(route.raw_schema.__name__) if route.raw_schema else {"type": "string"}
        op["requestBody"] = {"required": True, "content": {route.raw_body: {"schema": raw}}}

    success = _success_schema(route.returns)
    if route.returns.kind == "raw":
        assert route.returns.media_type is not None
        content: dict[str, Any] = {route.returns.media_type: {"schema": {"type": "string", "format": "binary"}}}
        if route.returns.model is not None:  # the same download as JSON
            content["application/json"] = {"schema": _ref(route.returns.model.__name__)}
        ok: dict[str, Any] = {"description": "Success", "content": content}
    elif success is None:
        ok = {"description": "Success"}
    else:
        ok = {"description": "Success", "content": {"application/json": {"schema": success}}}
    responses: dict[str, Any] = {str(route.status): ok}
    errors: list[str] = []
    if route.access != "public":
        errors += ["400", "401", "404"]
        if route.access == "secret":
            errors.append("403")
        if route.rate:
            errors.append("429")
    else:
        if route.query:
            errors.append("400")
        if route.path_params:
            errors.append("404")
    if route.body or route.raw_body:
        errors += ["400", "409", "413", "422"]
    errors.append("503")  # any route reads or writes the database (core/errors.py storage_error)
    for code in sorted(set(errors)):
        error: dict[str, Any] = {"application/json": {"schema": _ref("ErrorDocument")}}
        if route.returns.media_type and route.returns.media_type.startswith("text/html"):
            error[route.returns.media_type] = {"schema": {"type": "string"}}  # a page says it to people
        responses[code] = {"description": _ERROR_TEXT[code], "content": error}
    op["responses"] = responses
    if route.access != "public":
        op["security"] = [{"appId": [], "apiKey": []}]
    return op


def _drop_null_defaults(node: Any) -> Any:
    """PATCH fields default to None meaning "not sent"; that is no value a client may send."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None and "type" in node and node["type"] != "null":
            node = {k: v for k, v in node.items() if k != "default"}
        return {k: _drop_null_defaults(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_drop_null_defaults(v) for v in node]
    return node
