"""The server on the classroom network: its addresses and names, and its mDNS/DNS-SD advertisement
as another device sees it (a second zeroconf instance browsing on the same machine)."""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from zeroconf import AddressResolver, IPVersion, ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf

from tests.conftest import start_server
from university_local import lan
from university_local.lan import SERVICE_TYPE, Advertiser

_names = itertools.count(1)
WAIT = 15.0  # the most a test waits for the network to show a change


def _multicast_works(address: str) -> bool:
    """Whether a datagram sent to the mDNS group on `address`'s interface comes back to a member
    there (on a port of our own). Some containers and networks drop multicast altogether."""
    group = "224.0.0.251"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as member, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        try:
            member.bind(("", 0))
            member.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                              socket.inet_aton(group) + socket.inet_aton(address))
            sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
            sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            sender.sendto(b"probe", (group, member.getsockname()[1]))
            member.settimeout(3)
            return member.recvfrom(64)[0] == b"probe"
        except OSError:
            return False


@pytest.fixture(scope="module")
def loopback_multicast() -> None:
    if not _multicast_works("127.0.0.1"):
        pytest.skip("multicast does not reach loopback on this machine, so mDNS cannot be observed here")


def _unique(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


class _Seen(ServiceListener):
    """The service names a browser saw come and go."""

    def __init__(self) -> None:
        self.added: set[str] = set()
        self.removed: set[str] = set()
        self.changed = threading.Condition()

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        with self.changed:
            self.added.add(name)
            self.changed.notify_all()

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        with self.changed:
            self.removed.add(name)
            self.changed.notify_all()

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        pass

    def wait_for(self, names: set[str], name: str) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: name in names, timeout=WAIT)


@pytest.fixture
def browser() -> Iterator[tuple[Zeroconf, _Seen]]:
    """Another device on loopback, browsing for web servers."""
    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    seen = _Seen()
    ServiceBrowser(zc, SERVICE_TYPE, seen)
    yield zc, seen
    zc.close()


def _advertiser(label: str, instance: str, addresses: list[str], said: list[str], port: int = 8080) -> Advertiser:
    return Advertiser(instance=instance, label=label, port=port, addresses=lambda: list(addresses), say=said.append)


def _resolve(zc: Zeroconf, host: str) -> list[str]:
    resolver = AddressResolver(host)
    resolver.request(zc, 3000)
    return resolver.parsed_addresses()


def test_the_advertised_service_and_host_name_are_found_and_withdrawn(loopback_multicast, browser) -> None:
    zc, seen = browser
    label, instance, said = _unique("ul-test"), _unique("Test school on box"), []
    advertiser = _advertiser(label, instance, ["127.0.0.1"], said, port=8123)
    try:
        assert advertiser.start() and said == []
        assert advertiser.host_name == f"{label}.local"
        name = f"{instance}.{SERVICE_TYPE}"
        assert seen.wait_for(seen.added, name)
        info = zc.get_service_info(SERVICE_TYPE, name, timeout=3000)
        assert info is not None
        assert (info.server, info.port, info.parsed_addresses()) == (f"{label}.local.", 8123, ["127.0.0.1"])
        assert info.properties == {b"path": b"/"}
        assert _resolve(zc, f"{label}.local.") == ["127.0.0.1"]
    finally:
        advertiser.close()
    assert seen.wait_for(seen.removed, name)  # goodbye packets: browsers forget it at once
    assert advertiser.host_name is None


def test_a_name_taken_on_the_network_moves_to_the_next(loopback_multicast, browser) -> None:
    zc, seen = browser
    label, instance = _unique("ul-test"), _unique("Test school on box")
    first_said: list[str] = []
    second_said: list[str] = []
    first = _advertiser(label, instance, ["127.0.0.1"], first_said, port=8001)
    second = _advertiser(label, instance, ["127.0.0.1"], second_said, port=8002)
    try:
        assert first.start() and second.start()
        assert (first.host_name, second.host_name) == (f"{label}.local", f"{label}-2.local")
        assert second.service == f"{instance} (2).{SERVICE_TYPE}"
        assert second_said == [f"{label}.local is already taken on this network: advertising {label}-2.local instead"]
        for service, port in ((first.service, 8001), (second.service, 8002)):
            assert service and seen.wait_for(seen.added, service)
            info = zc.get_service_info(SERVICE_TYPE, service, timeout=3000)
            assert info is not None and info.port == port
    finally:
        first.close()
        second.close()


def test_changed_addresses_are_advertised_again_under_the_same_name(loopback_multicast) -> None:
    label, instance, said = _unique("ul-test"), _unique("Test school on box"), []
    addresses = ["127.0.0.1"]
    advertiser = Advertiser(instance=instance, label=label, port=8080, addresses=lambda: list(addresses),
                            say=said.append)
    try:
        assert advertiser.start()
        assert advertiser.refresh() is False  # nothing changed
        addresses[:] = ["127.0.0.2"]  # the machine moved to another network
        assert advertiser.refresh() is True
        assert advertiser.host_name == f"{label}.local" and said == []
        # A device arriving now (an empty cache) finds the new address.
        other = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
        try:
            assert _resolve(other, f"{label}.local.") == ["127.0.0.2"]
        finally:
            other.close()
    finally:
        advertiser.close()


def test_failing_to_advertise_is_a_warning_and_retried_later() -> None:
    said: list[str] = []
    addresses: list[str] = []
    advertiser = Advertiser(instance="X", label=_unique("ul-test"), port=8080, addresses=lambda: list(addresses),
                            say=said.append)
    assert advertiser.start() is False and advertiser.host_name is None
    assert said == ["mDNS: not advertised on the LAN: this machine has no network address yet "
                    "(it will be once it joins a network)"]
    addresses[:] = ["203.0.113.9"]  # an address of no interface here: zeroconf cannot use it
    assert advertiser.refresh() is False
    assert said[-1].startswith("mDNS: not advertised on the LAN (") and len(said) == 2
    assert advertiser.refresh() is False and len(said) == 2  # the same failure again says nothing new
    advertiser.close()


def test_host_labels_are_checked() -> None:
    assert lan.host_label("Classroom") == "classroom"
    assert lan.host_label("lab-2.local") == "lab-2"
    for bad in ("", "-lab", "lab-", "two words", "café", "a" * 64, "a.b"):
        with pytest.raises(ValueError):
            lan.host_label(bad)


def test_the_service_is_named_after_the_one_organisation_or_the_product() -> None:
    assert lan.service_name(["Riverside Centre"], "lab-pc.example.org") == "Riverside Centre on lab-pc"
    assert lan.service_name([], "lab-pc") == "University Local on lab-pc"
    assert lan.service_name(["A", "B"], "lab-pc") == "University Local on lab-pc"
    long = lan.service_name(["É" * 80], "lab-pc")
    assert len(long.encode()) <= 63 and long.endswith(" on lab-pc")


def test_learners_get_the_lan_addresses_and_loopback_only_when_there_is_nothing_else() -> None:
    assert lan.learner_urls("127.0.0.1", 8080) == ["http://127.0.0.1:8080"]
    assert lan.learner_urls("192.0.2.7", 8080) == ["http://192.0.2.7:8080"]
    every = lan.urls("0.0.0.0", 8080)
    assert every[-1] == "http://127.0.0.1:8080"  # loopback last
    lan_only = [url for url in every if "//127." not in url]
    assert lan.learner_urls("0.0.0.0", 8080) == (lan_only or every)
    assert lan.advertised_addresses("127.0.0.1") == []


def test_serve_advertises_the_server_until_it_stops(tmp_path) -> None:
    """`serve` on every interface: the name it prints is the one a browser on the LAN finds, with
    the LAN address; stopping the server withdraws it."""
    addresses = lan.advertised_addresses("0.0.0.0")
    if not addresses:
        pytest.skip("this machine has no LAN address to advertise on")
    if not _multicast_works(addresses[0]):
        pytest.skip(f"multicast does not reach {addresses[0]} on this machine, so mDNS cannot be observed here")
    label = _unique("ul-serve")
    zc = Zeroconf(interfaces=[addresses[0]], ip_version=IPVersion.V4Only)
    seen = _Seen()
    ServiceBrowser(zc, SERVICE_TYPE, seen)
    try:
        srv = start_server(tmp_path, {}, "--host", "0.0.0.0", "--mdns-name", label)
        port = int(srv.base.rsplit(":", 1)[1])
        try:
            printed = srv.printed()
            assert f"Learners: open http://{addresses[0]}:{port}/" in printed
            assert f"  or http://{label}.local:{port}/ on devices that resolve .local names" in printed
            info = _service_of(zc, seen, f"{label}.local.")
            assert info.name.startswith(lan.service_name([]))  # "(2)" if another server here has the name
            assert info.port == port and set(info.parsed_addresses()) == set(addresses)
            assert info.properties == {b"path": b"/"}
            name = info.name
        finally:
            assert srv.stop() == 0
        assert seen.wait_for(seen.removed, name)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and _advertiser_running(port):
            time.sleep(0.1)
        assert not _advertiser_running(port)  # it left with the server
    finally:
        zc.close()


def _service_of(zc: Zeroconf, seen: _Seen, server: str) -> ServiceInfo:
    """The service the browser found on host `server`."""
    deadline = time.monotonic() + WAIT
    checked: set[str] = set()
    while time.monotonic() < deadline:
        with seen.changed:
            seen.changed.wait_for(lambda: bool(seen.added - checked), timeout=0.5)
            fresh = seen.added - checked
        for name in fresh:
            checked.add(name)
            info = zc.get_service_info(SERVICE_TYPE, name, timeout=3000)
            if info is not None and info.server == server:
                return info
    raise AssertionError(f"no service on {server} among {sorted(checked)}")


def _advertiser_running(port: int) -> bool:
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                args = cmdline.read().split(b"\0")
        except OSError:
            continue
        if b"university_local.lan" in args and str(port).encode() in args:
            return True
    return False
