"""This machine's addresses on the classroom network and the URLs other devices open.

Read from the kernel on each call, so a page that shows them follows a changed address."""

from __future__ import annotations

import fcntl
import socket
import struct


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine's interfaces, loopback last, read from the kernel."""
    found: list[str] = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
            except OSError:
                continue  # interface without an IPv4 address
            found.append(socket.inet_ntoa(packed[20:24]))
    finally:
        probe.close()
    return sorted(set(found), key=lambda a: (a.startswith("127."), a))


def urls(host: str, port: int) -> list[str]:
    """Every base URL the server answers at, this machine's own (loopback) last."""
    hosts = lan_addresses() if host in {"0.0.0.0", ""} else [host]
    return [f"http://{h}:{port}" for h in hosts or ["127.0.0.1"]]


def learner_urls(host: str, port: int) -> list[str]:
    """The base URLs other devices can open: loopback only when the server listens nowhere else."""
    every = urls(host, port)
    return [url for url in every if not is_loopback(url.split("//", 1)[1].rsplit(":", 1)[0])] or every


def is_loopback(address: str) -> bool:
    return address.startswith("127.") or address == "localhost"
