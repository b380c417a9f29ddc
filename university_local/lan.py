"""The classroom network: this machine's addresses, the URLs learners open, and the server
advertised with mDNS/DNS-SD, so that devices find it as `classroom.local` and in service browsers.

Advertising runs in a small process of its own (`python -m university_local.lan`), which `serve`
starts before uWSGI, rather than in a thread of the serving process: uWSGI forks its router and
worker from that process behind Python's back, so a lock held by a zeroconf thread at that moment
would stay held in the worker, and uWSGI's master ends the process without running Python's exit
handlers, so nothing would say goodbye on the network. The advertiser leaves the process tree at
once (uWSGI's master waits for every child of its process before it exits). Its standard input is
a pipe whose other end only the server's processes hold: when the last of them is gone, it reads
the end of the file, withdraws the advertisement and exits, however the server stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from university_local.core.network import is_loopback, lan_addresses, learner_urls, urls

if TYPE_CHECKING:  # imported when advertising starts: the worker only needs the addresses
    from zeroconf import Zeroconf

SERVICE_TYPE = "_http._tcp.local."
POLL_SECONDS = 30.0  # how often the advertiser looks for changed addresses
PROBE_MS = 2000  # how long a name waits for an owner to answer before it counts as free
NAME_TRIES = 20  # classroom, classroom-2, ... classroom-20
STATUS_SECONDS = 15.0  # how long `serve` waits for the advertiser's first report
INSTANCE_BYTES = 63  # a DNS-SD instance name is one DNS label
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

__all__ = ["lan_addresses", "learner_urls", "urls"]

log = logging.getLogger("university_local.lan")


def advertised_addresses(host: str) -> list[str]:
    """The addresses to advertise for a server bound to `host`: its LAN addresses, never loopback
    (a server on loopback alone is not advertised)."""
    hosts = lan_addresses() if host in {"0.0.0.0", ""} else [host]
    return [h for h in hosts if not is_loopback(h)]


def host_label(name: str) -> str:
    """`name` as the first label of a `.local` host name (letters, digits and inner hyphens), or ValueError."""
    label = name.strip().lower().removesuffix(".local").removesuffix(".local.")
    if not _LABEL.match(label):
        raise ValueError(f"mDNS name {name!r}: use 1-63 letters, digits or hyphens (not at either end), "
                         "as in 'classroom'")
    return label


def service_name(organisations: list[str], hostname: str | None = None) -> str:
    """The name service browsers list: the organisation's when this server has exactly one."""
    machine = (hostname or socket.gethostname()).split(".")[0] or "this machine"
    suffix = f" on {machine}"
    owner = organisations[0] if len(organisations) == 1 else "University Local"
    while len((owner + suffix).encode()) > INSTANCE_BYTES and owner:
        owner = owner[:-1]
    return (owner.rstrip() + suffix)[:INSTANCE_BYTES]


class Advertiser:
    """One HTTP service and its host name, advertised with one zeroconf instance on the addresses
    `addresses()` gives; `refresh` follows them when they change. Failures are said as warnings,
    never raised: the server works without the advertisement."""

    def __init__(self, *, instance: str, label: str, port: int,
                 addresses: Callable[[], list[str]], say: Callable[[str], None] = print) -> None:
        self.instance = instance  # the preferred names; a conflict moves the claimed ones on
        self.label = host_label(label)
        self.port = port
        self.addresses = addresses
        self.say = say
        self.host_name: str | None = None  # "classroom.local" while advertised
        self.service: str | None = None  # the instance's full name while advertised
        self._claimed_label = self.label
        self._claimed_instance = instance
        self._advertised: list[str] = []
        self._last_warning: str | None = None
        self._zeroconf: Zeroconf | None = None

    def start(self) -> bool:
        """Advertise on the current addresses; False (with a warning said) when it could not."""
        return self._advertise(self.addresses())

    def refresh(self) -> bool:
        """Re-advertise when the addresses changed, or retry after a failure; True when it did anew."""
        current = self.addresses()
        if current == self._advertised and self.host_name:
            return False
        self._withdraw()
        return self._advertise(current)

    def close(self) -> None:
        """Withdraw the advertisement (goodbye packets, so browsers forget it at once)."""
        self._withdraw()

    def _advertise(self, addresses: list[str]) -> bool:
        from zeroconf import IPVersion, ServiceInfo, Zeroconf

        self._advertised = addresses
        if not addresses:
            self._warn("not advertised on the LAN: this machine has no network address yet "
                       "(it will be once it joins a network)")
            return False
        zc: Zeroconf | None = None
        try:
            zc = Zeroconf(interfaces=list(addresses), ip_version=IPVersion.V4Only)
            label, instance = self._free_names(zc)
            info = ServiceInfo(SERVICE_TYPE, f"{instance}.{SERVICE_TYPE}", port=self.port,
                               properties={"path": "/"}, server=f"{label}.local.",
                               addresses=[socket.inet_aton(a) for a in addresses])
            # The names were just asked for. Zeroconf's own probe would take 1.5 s more and hear
            # no owner of the same name: it sends our record as a known answer, which silences them.
            zc.register_service(info, cooperating_responders=True)
        except Exception as exc:  # no multicast route, no interface, a name never free...
            if zc is not None:
                zc.close()
            self._warn(f"not advertised on the LAN ({type(exc).__name__}: {exc or 'no detail'}); "
                       "learners use the address instead")
            return False
        if label != self._claimed_label:
            self.say(f"{self.label}.local is already taken on this network: advertising {label}.local instead")
        self._zeroconf, self._claimed_label, self._claimed_instance = zc, label, instance
        self.host_name, self.service, self._last_warning = f"{label}.local", info.name, None
        return True

    def _withdraw(self) -> None:
        zc, self._zeroconf, self.host_name, self.service = self._zeroconf, None, None, None
        if zc is None:
            return
        try:
            zc.close()  # unregisters every service first
        except Exception as exc:
            log.warning("withdrawing the mDNS advertisement: %s", exc)

    def _free_names(self, zc: Zeroconf) -> tuple[str, str]:
        """The first host label and instance name, from the ones claimed before, that nothing on the
        network answers for. Zeroconf's own probe only renames an instance it has already heard of,
        so both are asked for first."""
        labels = [self.label, *(f"{self.label}-{n}" for n in range(2, NAME_TRIES + 1))]
        instances = [self.instance, *(f"{self.instance} ({n})" for n in range(2, NAME_TRIES + 1))]
        i, j = labels.index(self._claimed_label), instances.index(self._claimed_instance)
        while i < len(labels) and j < len(instances):
            host_taken, instance_taken = _answered(zc, f"{labels[i]}.local.", f"{instances[j]}.{SERVICE_TYPE}")
            if not host_taken and not instance_taken:
                return labels[i], instances[j]
            i, j = i + host_taken, j + instance_taken
        raise RuntimeError(f"{self.label}.local and the next {NAME_TRIES - 1} names are all taken")

    def _warn(self, message: str) -> None:
        if message != self._last_warning:  # a retry that fails the same way says nothing new
            self.say(f"mDNS: {message}")
            self._last_warning = message


def _answered(zc: Zeroconf, host: str, instance: str) -> tuple[bool, bool]:
    """Whether anything on the network answers for the host name and for the service instance."""
    from zeroconf import AddressResolver, DNSQuestionType, ServiceInfo

    assert zc.loop is not None

    async def ask() -> None:
        await asyncio.gather(AddressResolver(host).async_request(zc, PROBE_MS, DNSQuestionType.QM),
                             ServiceInfo(SERVICE_TYPE, instance).async_request(zc, PROBE_MS, DNSQuestionType.QM))

    asyncio.run_coroutine_threadsafe(ask(), zc.loop).result(timeout=PROBE_MS / 1000 * 4)
    return bool(zc.cache.entries_with_name(host)), bool(zc.cache.entries_with_name(instance))


@dataclass
class Advertising:
    """What `start_advertising` reports: the host name advertised (None if not) and what to tell."""

    host_name: str | None
    notes: list[str] = field(default_factory=list)


_LIFELINES: list[object] = []  # the advertisers' stdin, held for the life of the server: closing one stops it


def start_advertising(host: str, port: int, label: str, instance: str) -> Advertising:
    """Start the advertiser process for a server on `host`:`port` and wait for its first report.
    A server bound to loopback alone is not advertised."""
    if host not in {"0.0.0.0", ""} and is_loopback(host):
        return Advertising(None)
    status_read, status_write = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "university_local.lan", "--host", host, "--port", str(port),
             "--label", label, "--instance", instance, "--status-fd", str(status_write)],
            stdin=subprocess.PIPE, pass_fds=[status_write])
    except OSError as exc:
        os.close(status_read)
        return Advertising(None, [f"mDNS: not advertised on the LAN (could not start: {exc})"])
    finally:
        os.close(status_write)
    _LIFELINES.append(process.stdin)
    try:
        process.wait()  # the first process only forks the advertiser (main) and exits
        report = _read_report(status_read)
    finally:
        os.close(status_read)
    if report is None:
        return Advertising(None, ["mDNS: the advertiser did not report; learners use the address"])
    host_name, notes = report
    return Advertising(host_name, notes)


def _read_report(fd: int) -> tuple[str | None, list[str]] | None:
    """The advertiser's first report: the host name it claimed (None if none) and its notes."""
    data = b""
    while b"\n" not in data:
        ready, _, _ = select.select([fd], [], [], STATUS_SECONDS)
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            return None
        data += chunk
    report = json.loads(data.split(b"\n", 1)[0])
    host_name = report.get("host_name")
    return (host_name if isinstance(host_name, str) else None), [str(note) for note in report.get("notes", [])]


def _server_alive(seconds: float) -> bool:
    """Wait up to `seconds`; False once standard input has ended (every process of the server is gone)."""
    ready, _, _ = select.select([sys.stdin.fileno()], [], [], seconds)
    return not ready or bool(os.read(sys.stdin.fileno(), 4096))


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    """The advertiser process: report the first outcome on --status-fd, then follow the addresses."""
    if os.fork():
        os._exit(0)  # out of uWSGI's process tree: its master would wait for this process to end
    parser = argparse.ArgumentParser(prog="python -m university_local.lan")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--status-fd", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)  # Ctrl+C reaches the whole terminal's process group

    def say(message: str) -> None:
        print(message, flush=True)

    notes: list[str] = []
    advertiser = Advertiser(instance=args.instance, label=args.label, port=args.port,
                            addresses=lambda: advertised_addresses(args.host), say=notes.append)
    try:
        advertiser.start()
        with os.fdopen(args.status_fd, "w") as status:
            status.write(json.dumps({"host_name": advertiser.host_name, "notes": notes}) + "\n")
        advertiser.say = say
        while _server_alive(POLL_SECONDS):
            if advertiser.refresh() and advertiser.host_name:
                where = ", ".join(f"http://{a}:{args.port}/" for a in advertiser.addresses())
                say(f"The network changed: learners open {where} "
                    f"(or http://{advertiser.host_name}:{args.port}/)")
    finally:
        advertiser.close()


if __name__ == "__main__":
    main()
