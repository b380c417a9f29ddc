"""What `university-local serve` shows a teacher: where learners go (as text and a QR code), the
join card, the API and, with the demo, its keys and learners; uWSGI's own messages go to the log."""

from __future__ import annotations

import re
import socket

from tests.conftest import run_cli, start_server
from university_local import lan
from university_local.cli import _demo_lines
from university_local.core.config import Config
from university_local.core.qr import qr_terminal

QR_GLYPHS = set("█▀▄ ")


def test_the_console_lists_in_order_where_learners_and_integrators_go(tmp_path) -> None:
    srv = start_server(tmp_path, {"UNIVERSITY_LOCAL_WIFI_SSID": "Class 4B", "UNIVERSITY_LOCAL_WIFI_PASSWORD": "s3cret-pass"},
                       "--host", "0.0.0.0", "--no-mdns")
    port = int(srv.base.rsplit(":", 1)[1])
    try:
        printed = srv.printed()
    finally:
        assert srv.stop() == 0
    lines = printed.splitlines()
    learners = [url + "/" for url in lan.learner_urls("0.0.0.0", port)]
    first = lines.index(f"Learners: open {learners[0]}")
    qr_lines = [line[2:] for line in lines[first + 1:first + 40] if line.startswith("  ") and set(line[2:]) <= QR_GLYPHS]
    assert "\n".join(qr_lines) == qr_terminal(learners[0])  # the QR block right under the first address
    order = [
        next(i for i, line in enumerate(lines) if line.startswith("University Local ") and "database" in line),
        next(i for i, line in enumerate(lines) if line == f"Server log: {(tmp_path / 'server.log').resolve()}"),
        first,
        *(lines.index(f"Learners: open {url}") for url in learners[1:]),
        lines.index(f"Join card to print or project: {learners[0]}join"),
        lines.index("Wi-Fi for learners: Class 4B (the join card has its QR code)"),
        lines.index(f"API: http://127.0.0.1:{port}/v1/university   (health: http://127.0.0.1:{port}/health)"),
        lines.index("Press Ctrl+C to stop."),
    ]
    assert order == sorted(order) and first == order[2]
    assert ".local" not in printed and "mDNS" not in printed  # --no-mdns: nothing advertised, nothing said
    assert "s3cret-pass" not in printed  # the Wi-Fi password stays on the join card

    # uWSGI's banner and start-up messages are in the log, not on the terminal.
    assert "uWSGI" not in printed and "***" not in printed
    logged = (tmp_path / "server.log").read_text(encoding="utf-8")
    assert "*** Starting uWSGI" in logged and "spawned uWSGI worker 1" in logged


def test_a_server_on_loopback_shows_its_loopback_address_and_is_not_advertised(tmp_path) -> None:
    srv = start_server(tmp_path)  # loopback, mDNS left on
    port = int(srv.base.rsplit(":", 1)[1])
    try:
        printed = srv.printed()
    finally:
        srv.stop()
    assert f"Learners: open http://127.0.0.1:{port}/" in printed
    assert ".local" not in printed and "mDNS" not in printed


def test_a_port_in_use_is_said_on_the_terminal(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_cli(tmp_path, "serve", "--host", "127.0.0.1", "--port", str(port), check=False)
    assert run.returncode == 1
    assert f"university-local: cannot listen on 127.0.0.1:{port}" in run.stderr
    assert "Learners" not in run.stdout


def test_a_bad_mdns_name_is_refused(tmp_path) -> None:
    run = run_cli(tmp_path, "serve", "--port", "1", "--mdns-name", "two words", check=False)
    assert run.returncode == 1 and "mDNS name 'two words'" in run.stderr


def test_the_demo_lines_keep_their_keys_and_list_learners_when_the_demo_has_them() -> None:
    demo = {"app_id": "demo-school", "courses": {"test": "course-1", "live": "course-2"},
            "keys": {"secret_test": "sk_test_1", "publishable_test": "pk_test_1",
                     "secret_live": "sk_live_1", "publishable_live": "pk_live_1"}}
    lines = _demo_lines(demo, 8080)
    assert "  secret       test (staging): sk_test_1" in lines
    assert any(line.startswith("  curl -s http://127.0.0.1:8080/v1/university/courses ") for line in lines)
    assert not any("PIN" in line for line in lines)
    demo["learners"] = [{"display_name": "Amina Yusuf", "pin": "4821"}, {"display_name": "Ben Okoro", "pin": "0193"}]
    lines = _demo_lines(demo, 8080)
    tail = lines[lines.index("Demo learners (sign in with the name and PIN):") + 1:]
    assert tail == ["  Amina Yusuf  PIN 4821", "  Ben Okoro    PIN 0193"]


def test_the_joining_settings_travel_through_the_environment() -> None:
    default = Config()
    assert (default.mdns, default.mdns_name, default.wifi_ssid, default.wifi_password, default.wifi_security) == (
        True, "classroom", None, None, "WPA")
    assert Config.from_env(default.to_env()).wifi_ssid is None
    config = Config(mdns=False, mdns_name="lab-2", wifi_ssid="Class; 4B", wifi_password="p:w", wifi_security="WEP")
    again = Config.from_env(config.to_env())
    assert (again.mdns, again.mdns_name, again.wifi_ssid, again.wifi_password, again.wifi_security) == (
        False, "lab-2", "Class; 4B", "p:w", "WEP")
    env = Config.from_env({"UNIVERSITY_LOCAL_MDNS": "off", "UNIVERSITY_LOCAL_MDNS_NAME": "Lab",
                           "UNIVERSITY_LOCAL_WIFI_SECURITY": "wpa"})
    assert (env.mdns, env.mdns_name, env.wifi_security) == (False, "lab", "WPA")
    assert re.fullmatch(r"on|off", Config().to_env()["UNIVERSITY_LOCAL_MDNS"])
