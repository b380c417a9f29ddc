"""Server settings: defaults, overridden by `UNIVERSITY_LOCAL_*` environment variables and CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from university_local.core.ratelimit import parse_limits
from university_local.core.scope import Environment

DEFAULT_DATA_DIR = Path("data/var")
DEFAULT_PORT = 8080


@dataclass
class Config:
    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    # Threads taking requests. Under load every thread is one more to wake around the GIL, but
    # also one more update in flight to share the writer process's next flush, which limits
    # progress writes where the CPU outpaces the disk (bench/README.md, "Progress writes").
    threads: int = 16
    # Parked threads beside those: a request whose large body is arriving hands its place to one
    # (core/bodies.py), so up to this many slow uploads at once hold none of `threads`.
    body_threads: int = 64
    max_body_bytes: int = 1024 * 1024
    # Requests per minute per API key and endpoint class; None switches limits off.
    rate_limits: dict[str, int] | None = field(default_factory=lambda: parse_limits(""))
    jobs: bool = True  # the scheduler: webhook delivery, enrollment expiry
    webhook_poll_seconds: float = 1.0
    webhook_retry_seconds: float = 10.0  # first retry after about this long, then doubling
    webhook_max_attempts: int = 10
    expiry_interval_seconds: float = 60.0
    # Joining without typing an address: advertise `<mdns_name>.local` and the service on the LAN
    # (when serving, the name actually claimed), and the Wi-Fi network the join card offers.
    mdns: bool = True
    mdns_name: str = "classroom"
    wifi_ssid: str | None = None
    wifi_password: str | None = None
    wifi_security: str = "WPA"
    # Where people reach this server: certificate verification links and PDF links start with it.
    # None: http://<this machine's first LAN address>:<port>, worked out at start-up.
    public_url: str | None = None
    # The learner web pages: which environment of each organisation they serve, how long an idle
    # session lasts on a shared device, and whether sign-in lists the class instead of a name search.
    web_env: Environment = "live"
    web_idle_minutes: float = 20.0
    web_class_list: bool = False

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
            "UNIVERSITY_LOCAL_BODY_THREADS": str(self.body_threads),
            "UNIVERSITY_LOCAL_MAX_BODY_BYTES": str(self.max_body_bytes),
            "UNIVERSITY_LOCAL_RATE_LIMITS": limits,
            "UNIVERSITY_LOCAL_JOBS": "on" if self.jobs else "off",
            "UNIVERSITY_LOCAL_MDNS": "on" if self.mdns else "off",
            "UNIVERSITY_LOCAL_MDNS_NAME": self.mdns_name,
            "UNIVERSITY_LOCAL_WIFI_SECURITY": self.wifi_security,
            **({"UNIVERSITY_LOCAL_WIFI_SSID": self.wifi_ssid} if self.wifi_ssid else {}),
            **({"UNIVERSITY_LOCAL_WIFI_PASSWORD": self.wifi_password} if self.wifi_password else {}),
            "UNIVERSITY_LOCAL_WEBHOOK_POLL_SECONDS": str(self.webhook_poll_seconds),
            "UNIVERSITY_LOCAL_WEBHOOK_RETRY_SECONDS": str(self.webhook_retry_seconds),
            "UNIVERSITY_LOCAL_WEBHOOK_MAX_ATTEMPTS": str(self.webhook_max_attempts),
            "UNIVERSITY_LOCAL_EXPIRY_INTERVAL_SECONDS": str(self.expiry_interval_seconds),
            "UNIVERSITY_LOCAL_WEB_ENV": self.web_env,
            "UNIVERSITY_LOCAL_WEB_IDLE_MINUTES": str(self.web_idle_minutes),
            "UNIVERSITY_LOCAL_WEB_CLASS_LIST": "on" if self.web_class_list else "off",
            **({"UNIVERSITY_LOCAL_PUBLIC_URL": self.public_url} if self.public_url else {}),
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
        if value := env.get("UNIVERSITY_LOCAL_BODY_THREADS"):
            config.body_threads = int(value)
        if value := env.get("UNIVERSITY_LOCAL_MAX_BODY_BYTES"):
            config.max_body_bytes = int(value)
        if "UNIVERSITY_LOCAL_RATE_LIMITS" in env:
            config.rate_limits = parse_limits(env["UNIVERSITY_LOCAL_RATE_LIMITS"])
        if value := env.get("UNIVERSITY_LOCAL_MDNS"):
            config.mdns = value.lower() not in {"off", "0", "false", "no"}
        if value := env.get("UNIVERSITY_LOCAL_MDNS_NAME"):
            config.mdns_name = value.strip().lower()
        if value := env.get("UNIVERSITY_LOCAL_WIFI_SSID"):
            config.wifi_ssid = value
        if value := env.get("UNIVERSITY_LOCAL_WIFI_PASSWORD"):
            config.wifi_password = value
        if value := env.get("UNIVERSITY_LOCAL_WIFI_SECURITY"):
            config.wifi_security = value.strip().upper()
        if value := env.get("UNIVERSITY_LOCAL_PUBLIC_URL"):
            config.public_url = value.rstrip("/")
        if value := env.get("UNIVERSITY_LOCAL_JOBS"):
            config.jobs = value.lower() not in {"off", "0", "false", "no"}
        if value := env.get("UNIVERSITY_LOCAL_WEB_ENV"):
            config.web_env = "test" if value == "test" else "live"
        if value := env.get("UNIVERSITY_LOCAL_WEB_IDLE_MINUTES"):
            config.web_idle_minutes = float(value)
        if value := env.get("UNIVERSITY_LOCAL_WEB_CLASS_LIST"):
            config.web_class_list = value.lower() in {"on", "1", "true", "yes"}
        for name, cast in (("webhook_poll_seconds", float), ("webhook_retry_seconds", float),
                           ("webhook_max_attempts", int), ("expiry_interval_seconds", float)):
            if value := env.get(f"UNIVERSITY_LOCAL_{name.upper()}"):
                setattr(config, name, cast(value))
        return config
