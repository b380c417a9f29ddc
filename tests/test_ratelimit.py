"""Rate limits per key and endpoint class, with the usual headers."""

from __future__ import annotations

import pytest

from tests.conftest import Api, error_of, make_tenant, start_server


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("limited"), {"UNIVERSITY_LOCAL_RATE_LIMITS": "catalogue=5"})
    yield srv
    srv.stop()


def test_limit_headers_and_429(limited) -> None:
    tenant = make_tenant(limited)
    api = tenant.secret
    for expected_remaining in (4, 3, 2, 1, 0):
        response = api.get("/courses")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == str(expected_remaining)
        reset = int(response.headers["X-RateLimit-Reset"])
    blocked = api.post("/courses", {"data": {"type": "course", "attributes": {"title": "x"}}})
    assert blocked.status_code == 429
    assert error_of(blocked)["code"] == "rate_limit_exceeded"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert int(blocked.headers["X-RateLimit-Reset"]) == reset
    # Limits are per key: the publishable key of the same app still has its own budget.
    assert tenant.publishable.get("/courses").status_code == 200
    # Health and the OpenAPI document are not limited.
    health = api.http.get(limited.base + "/health")
    assert health.status_code == 200 and "X-RateLimit-Limit" not in health.headers
    # The blocked write wrote nothing.
    other = Api(limited.base, tenant.app_id, make_tenant(limited, app_id=tenant.app_id).secret.key)
    assert other.get("/courses").json()["meta"]["total"] == 0


def test_limits_can_be_switched_off(server) -> None:
    api = make_tenant(server).secret
    response = api.get("/courses")
    assert response.status_code == 200 and "X-RateLimit-Limit" not in response.headers


def test_limit_parsing() -> None:
    from university_local.core.ratelimit import DEFAULT_LIMITS, parse_limits

    assert parse_limits("off") is None
    assert parse_limits("") == DEFAULT_LIMITS
    assert parse_limits("progress=1000")["progress"] == 1000
    with pytest.raises(ValueError):
        parse_limits("teleport=5")
