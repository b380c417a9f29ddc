"""Server settings: defaults, overridden by `UNIVERSITY_LOCAL_*` environment variables and CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from university_local.core.ratelimit import parse_limits

DEFAULT_DATA_DIR = Path("data/var")
DEFAULT_PORT = 8080


@dataclass
class Config:
    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    threads: int = 16
    max_body_bytes: int = 1024 * 1024
    # Requests per minute per API key and endpoint class; None switches limits off.
    rate_limits: dict[str, int] | None = field(default_factory=lambda: parse_limits(""))

    @property
    def database_path(self) -> Path:
        return self.data_dir / "university.sqlite3"

    def to_env(self) -> dict[str, str]:
        """The environment variables that recreate this config (for the server's worker)."""
        limits = "off" if self.rate_limits is None else ",".join(f"{k}={v}" for k, v in self.rate_limits.items())
        return {
            "UNIVERSITY_LOCAL_DATA_DIR": str(self.data_dir.resolve()),
            "UNIVERSITY_LOCAL_HOST": self.host,
            "UNIVERSITY_LOCAL_PORT": str(self.port),
            "UNIVERSITY_LOCAL_THREADS": str(self.threads),
            "UNIVERSITY_LOCAL_MAX_BODY_BYTES": str(self.max_body_bytes),
            "UNIVERSITY_LOCAL_RATE_LIMITS": limits,
        }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        config = cls()
        if value := env.get("UNIVERSITY_LOCAL_DATA_DIR"):
            config.data_dir = Path(value)
        if value := env.get("UNIVERSITY_LOCAL_HOST"):
            config.host = value
        if value := env.get("UNIVERSITY_LOCAL_PORT"):
            config.port = int(value)
        if value := env.get("UNIVERSITY_LOCAL_THREADS"):
            config.threads = int(value)
        if value := env.get("UNIVERSITY_LOCAL_MAX_BODY_BYTES"):
            config.max_body_bytes = int(value)
        if "UNIVERSITY_LOCAL_RATE_LIMITS" in env:
            config.rate_limits = parse_limits(env["UNIVERSITY_LOCAL_RATE_LIMITS"])
        return config
