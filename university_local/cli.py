"""`university-local`: serve, manage keys and apps, load the demo. Scriptable: no prompts."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from university_local import __version__
from university_local.core.config import Config
from university_local.core.db import Db, Store
from university_local.core.ratelimit import parse_limits
from university_local.core.scope import Environment, Scope, Tenant
from university_local.tenancy import apps, keys
from university_local.tenancy.models import ENV_NAMES

if TYPE_CHECKING:
    from university_local.lan import Advertising


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(_join_dash_values(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "run", None):
        parser.print_help()
        sys.exit(2)
    config = Config.from_env()
    if args.data_dir:
        config.data_dir = Path(args.data_dir)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        args.run(args, config)
    except (ValueError, LookupError) as exc:
        print(f"university-local: {exc}", file=sys.stderr)
        sys.exit(1)


def _join_dash_values(argv: list[str]) -> list[str]:
    """A base64url key starts with "-" one time in 64, and argparse takes "--public-key -K..." for
    two options: pass it as "--public-key=-K..." instead."""
    joined = list(argv)
    for i in range(len(joined) - 1):
        if joined[i] == "--public-key" and joined[i + 1].startswith("-"):
            joined[i:i + 2] = [f"--public-key={joined[i + 1]}"]
            break
    return joined


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="university-local", description="Offline-first classroom LMS server.")
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--data-dir", help="where the database and files live (default ./data/var, "
                                           "or $UNIVERSITY_LOCAL_DATA_DIR)")
    sub = parser.add_subparsers(title="commands")

    serve = sub.add_parser("serve", help="migrate the database and serve the API")
    serve.add_argument("--host", help="address to bind (default 0.0.0.0: the whole LAN)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--threads", type=int, help="threads taking requests (default 16; slow uploads wait on others)")
    serve.add_argument("--rate-limits", help="'off', or class=N,... requests per minute per key")
    serve.add_argument("--demo", action="store_true", help="load the demo organisation and print its keys first")
    serve.add_argument("--no-mdns", action="store_true",
                       help="do not advertise the server on the LAN as <name>.local (mDNS/DNS-SD)")
    serve.add_argument("--mdns-name", help="the .local name to advertise (default classroom: classroom.local)")
    serve.set_defaults(run=_serve)

    tui = sub.add_parser("tui", help="the instructors' terminal app; with no options it speaks to this data "
                                     "directory's server with a key of its own")
    tui.add_argument("--url", help="the server (default: the one serving this data directory)")
    tui.add_argument("--app", help="the organisation (default: the only one here)")
    tui.add_argument("--key", help="a secret key of that organisation (default: one made for the app, kept in "
                                   "the data directory)")
    tui.add_argument("--env", choices=["test", "live"], help="the environment of the key made here (default: "
                                                             "the learner pages' environment, live)")
    tui.set_defaults(run=_tui)

    sub.add_parser("migrate", help="create or upgrade the database, then exit").set_defaults(run=_migrate)
    sub.add_parser("demo", help="load the demo organisation and print fresh keys").set_defaults(run=_demo)

    key_cmd = sub.add_parser("keys", help="manage API keys").add_subparsers(title="keys commands")
    create = key_cmd.add_parser("create", help="create a key; prints the key alone on stdout")
    create.add_argument("--app", required=True, help="app id (created if new)")
    create.add_argument("--env", required=True, choices=["test", "live"])
    create.add_argument("--type", required=True, choices=["secret", "publishable"])
    create.add_argument("--label")
    create.set_defaults(run=_keys_create)
    listing = key_cmd.add_parser("list", help="list keys (hints only; keys are stored hashed)")
    listing.add_argument("--app")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_keys_list)
    revoke = key_cmd.add_parser("revoke", help="revoke a key by its id (key-...) or the key itself")
    revoke.add_argument("key")
    revoke.set_defaults(run=_keys_revoke)

    users_cmd = sub.add_parser("users", help="manage users").add_subparsers(title="users commands")
    roster = users_cmd.add_parser("import", help="import a CSV roster (id, display_name, email, role, pin, "
                                                 "password, leaderboard_opt_out)")
    roster.add_argument("csv", help="the roster file ('-' for standard input)")
    roster.add_argument("--app", required=True)
    roster.add_argument("--env", required=True, choices=["test", "live"])
    roster.set_defaults(run=_users_import)

    app_cmd = sub.add_parser("apps", help="manage apps (organisations)").add_subparsers(title="apps commands")
    hosts = app_cmd.add_parser("embed-hosts", help="show or set the hosts lesson embeds may come from")
    hosts.add_argument("--app", required=True)
    group = hosts.add_mutually_exclusive_group()
    group.add_argument("--set", nargs="+", metavar="HOST", help="replace the list (subdomains included)")
    group.add_argument("--reset", action="store_true", help="go back to the built-in list")
    hosts.set_defaults(run=_embed_hosts)
    auto = app_cmd.add_parser("auto-create-users",
                              help="whether enrolling an unknown user_id creates the learner (default on)")
    auto.add_argument("--app", required=True)
    auto.add_argument("setting", choices=["on", "off"], nargs="?")
    auto.set_defaults(run=_auto_create_users)
    zone = app_cmd.add_parser("time-zone", help="show or set the IANA time zone the app's days are counted in "
                                                "(streaks, daily analytics); setting it re-dates past activity")
    zone.add_argument("--app", required=True)
    zone.add_argument("zone", nargs="?", help="e.g. Africa/Nairobi (default UTC)")
    zone.set_defaults(run=_time_zone)

    analytics_cmd = sub.add_parser("analytics", help="analytics rollups").add_subparsers(title="analytics commands")
    rebuild = analytics_cmd.add_parser("rebuild", help="recompute every rollup from the activity log (repair)")
    rebuild.set_defaults(run=_analytics_rebuild)

    certs = sub.add_parser("certificates", help="certificate keys and offline verification").add_subparsers(
        title="certificates commands")
    public = certs.add_parser("public-key", help="print this site's signing key (publish it to verifiers)")
    public.set_defaults(run=_certificates_public_key)
    check = certs.add_parser("verify", help="check a certificate with no server: QR text, a PDF, or a "
                                            "credential .json file; exit status 0 if valid")
    check.add_argument("certificate", help="the QR code's text, or a file")
    check.add_argument("--public-key", help="the issuer's public key (base64url, as `public-key` prints it); "
                                            "default: this site's own")
    check.set_defaults(run=_certificates_verify)

    scorm_cmd = sub.add_parser("scorm", help="SCORM packages").add_subparsers(title="scorm commands")
    scorm_import = scorm_cmd.add_parser("import", help="import a SCORM zip as a new lesson (or, with --lesson, a new "
                                                       "version of a SCORM lesson); prints the package as JSON")
    scorm_import.add_argument("file", help="the package (.zip)")
    scorm_import.add_argument("--app", required=True)
    scorm_import.add_argument("--env", required=True, choices=["test", "live"])
    scorm_import.add_argument("--course", help="the course (needed unless --lesson)")
    scorm_import.add_argument("--module", help="the module the new lesson goes in (needed unless --lesson)")
    scorm_import.add_argument("--title", help="the lesson's title (default: the manifest's)")
    scorm_import.add_argument("--lesson", help="a SCORM lesson to give this package as its next version")
    scorm_import.set_defaults(run=_scorm_import)

    report_cmd = sub.add_parser("report", help="export reports").add_subparsers(title="report commands")
    course_report = report_cmd.add_parser("course", help="a course's per-learner report, the same bytes as "
                                                         "GET /reports/courses/{course_id} (columns: README)")
    course_report.add_argument("course_id")
    course_report.add_argument("--app", required=True)
    course_report.add_argument("--env", required=True, choices=["test", "live"])
    course_report.add_argument("--format", choices=["csv", "json"], default="csv")
    course_report.add_argument("--include", default="progress,scores,time_spent",
                               help="comma-separated column groups: progress, scores, time_spent (default all)")
    course_report.add_argument("--output", help="write to this file (default: standard output)")
    course_report.set_defaults(run=_report_course)
    return parser


def _store(config: Config) -> Store:
    store = Store(config.database_path)
    store.migrate()
    return store


def _staff(config: Config, app_id: str, env: Environment) -> Db:
    """The handle of an organisation's records in one environment, as its staff see them (the CLI
    is run by whoever administers the machine)."""
    return _store(config).scoped(Scope.staff(Tenant(app_id, env)))


def _migrate(args: argparse.Namespace, config: Config) -> None:
    print(f"{config.database_path}: schema version {_store(config).migrate()}")


def _demo(args: argparse.Namespace, config: Config) -> None:
    from university_local.demo import load_demo

    print("\n".join(_demo_lines(load_demo(_store(config), config.data_dir), config.port)))


def _demo_lines(demo: dict[str, Any], port: int) -> list[str]:
    """The demo's keys, a few curl lines to try them, and its learners' PINs when it has learners."""
    base = f"http://127.0.0.1:{port}/v1/university"
    app_id, k = demo["app_id"], demo["keys"]
    lines = [f"Demo organisation '{app_id}' is ready (course {demo['courses']['test']} in test).",
             "API keys (shown once; new ones are issued each time the demo loads):"]
    for name, key in k.items():
        key_type, env = name.split("_")
        lines.append(f"  {key_type:<12} {env} ({ENV_NAMES[env]}): {key}")
    auth = f'-H "X-App-Id: {app_id}" -H "X-Api-Key: {k["secret_test"]}"'
    lines += [
        "Try:",
        f"  curl -s {base}/courses {auth}",
        f'  curl -s "{base}/courses/{demo["courses"]["test"]}?include=modules,lessons,instructor" {auth}',
        f"  curl -s -X POST {base}/courses {auth} -H 'Content-Type: application/json' "
        """-d '{"data":{"type":"course","attributes":{"title":"My first course"}}}'""",
    ]
    if learners := demo.get("learners"):
        lines.append("Demo learners (sign in with the name and PIN):")
        width = max(len(learner["display_name"]) for learner in learners)
        lines += [f"  {learner['display_name']:<{width}}  PIN {learner['pin']}" for learner in learners]
    return lines


def _serve(args: argparse.Namespace, config: Config) -> None:
    """Print where learners and integrators reach the server, advertise it on the LAN, then serve.
    uWSGI logs to a file from here on, so what is printed here stays readable."""
    from university_local import lan
    from university_local.server import log_path, serve

    config.host = args.host or config.host
    config.port = args.port if args.port is not None else config.port
    config.threads = args.threads or config.threads
    if args.rate_limits is not None:
        config.rate_limits = parse_limits(args.rate_limits)
    config.mdns = config.mdns and not args.no_mdns
    config.mdns_name = lan.host_label(args.mdns_name or config.mdns_name)
    _check_port_free(config.host, config.port)  # uWSGI would say so only in its log
    store = _store(config)  # migrate before the server starts, so a bad database fails here
    demo = None
    if args.demo:
        from university_local.demo import load_demo

        demo = load_demo(store, config.data_dir)
    organisations = [row["name"] for row in store.all("SELECT name FROM apps ORDER BY id")]
    store.close()
    advertising = lan.Advertising(None)
    if config.mdns:
        advertising = lan.start_advertising(config.host, config.port, config.mdns_name,
                                            lan.service_name(organisations))
    # The worker (the join card) offers the name actually advertised, and no name when none is.
    config.mdns = advertising.host_name is not None
    config.mdns_name = (advertising.host_name or config.mdns_name).removesuffix(".local")
    lines = _console(config, lan.learner_urls(config.host, config.port), lan.urls(config.host, config.port),
                     advertising, str(log_path(config)))
    if demo is not None:
        lines += ["", *_demo_lines(demo, config.port)]
    print("\n".join([*lines, "", "Press Ctrl+C to stop."]), flush=True)
    _write_server_file(config, lan.learner_urls(config.host, config.port))
    try:
        serve(config)
    finally:
        server_file(config).unlink(missing_ok=True)


def server_file(config: Config) -> Path:
    """Where a running server says how to reach it, for `tui` and other local tools."""
    return config.data_dir / "server.json"


def _write_server_file(config: Config, learner_urls: list[str]) -> None:
    from university_local.core.files import write_durably

    local = "127.0.0.1" if config.host in ("0.0.0.0", "", "::") else config.host
    payload = {"url": f"http://{local}:{config.port}", "learner_url": learner_urls[0] if learner_urls else None,
               "pid": os.getpid()}
    write_durably(server_file(config), json.dumps(payload).encode())


TUI_KEYS = "tui-keys.json"  # the keys `tui` made, by organisation and environment (the file is 0600)


def _tui(args: argparse.Namespace, config: Config) -> None:
    """Find the server and a key, offer to start the server when none answers, then become the TUI
    (exec: the server's packages never import the TUI; it runs as `python -m tui`)."""
    import httpx

    running: dict[str, Any] = {}
    if server_file(config).exists():
        running = json.loads(server_file(config).read_text(encoding="utf-8"))
    url = (args.url or running.get("url") or f"http://127.0.0.1:{config.port}").rstrip("/")
    store = _store(config)
    apps_here = [row["id"] for row in store.all("SELECT id FROM apps ORDER BY id")]
    app_id = args.app or (apps_here[0] if len(apps_here) == 1 else None)
    if app_id is None:
        raise ValueError("name the organisation with --app: " + (", ".join(apps_here) if apps_here else
                                                                    "this data directory has none yet (try `demo`)"))
    key = args.key or _tui_key(store, config, app_id, args.env or config.web_env)
    store.close()
    try:
        httpx.get(url + "/health", timeout=3).raise_for_status()
    except httpx.HTTPError:
        command = f"university-local --data-dir {config.data_dir} serve"
        print(f"No server answers at {url}. Start one with `{command}` (or `make run`).", file=sys.stderr)
        if not (sys.stdin.isatty() and input("Start it now, in the background? [y/N] ").strip().lower() == "y"):
            sys.exit(1)
        url = _start_server_for_tui(config)

    drafts = config.data_dir.resolve() / "tui-drafts"
    argv = [sys.executable, "-m", "tui", "--url", url, "--app", app_id, "--drafts", str(drafts)]
    if running.get("learner_url") and not args.url:
        argv += ["--learner-url", running["learner_url"]]
    os.execve(sys.executable, argv, {**os.environ, "UNIVERSITY_LOCAL_TUI_KEY": key})


def _tui_key(store: Store, config: Config, app_id: str, env: Environment) -> str:
    """The secret key `tui` made for this organisation and environment, or a new one if it has none
    still valid (revoking it with `keys revoke` makes the next start issue another)."""
    from university_local.core.files import write_durably

    path = config.data_dir / TUI_KEYS
    saved: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    key = saved.get(f"{app_id}/{env}")
    if key and store.one("SELECT id FROM api_keys WHERE key_hash = ? AND app_id = ? AND revoked_at IS NULL",
                         (keys.hash_key(key), app_id)):
        return key
    key, _ = keys.create_key(store, app_id, env, "secret", label="tui")
    write_durably(path, json.dumps({**saved, f"{app_id}/{env}": key}, indent=1).encode(), mode=0o600)
    return key


def _start_server_for_tui(config: Config) -> str:
    """Start `serve` for this data directory in the background and wait until it answers."""
    import subprocess
    import time

    import httpx

    with open(config.data_dir / "serve-console.log", "w") as console:
        subprocess.Popen([sys.executable, "-m", "university_local", "--data-dir", str(config.data_dir), "serve"],
                         stdout=console, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server_file(config).exists():
            url = str(json.loads(server_file(config).read_text(encoding="utf-8"))["url"])
            try:
                httpx.get(url + "/health", timeout=1).raise_for_status()
                return url
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    raise ValueError(f"the server did not start; see {config.data_dir / 'serve-console.log'}")


def _console(config: Config, learner_urls: list[str], api_urls: list[str], advertising: Advertising,
             log_file: str) -> list[str]:
    """What `serve` shows before it starts: the database and log, where learners go (the first
    address also as a QR code for their cameras), the join card, and the API."""
    from university_local.core.qr import qr_terminal

    lines = [f"University Local {__version__}, database {config.database_path.resolve()}",
             f"Server log: {log_file}", ""]
    for number, url in enumerate(learner_urls):
        lines.append(f"Learners: open {url}/")
        if number == 0:
            code = qr_terminal(f"{url}/")
            lines += [f"  {row}" for row in code.splitlines()] if _printable(code) else []
    lines += advertising.notes
    if advertising.host_name:
        lines.append(f"  or http://{advertising.host_name}:{config.port}/ on devices that resolve .local names")
    lines.append(f"Join card to print or project: {learner_urls[0]}/join")
    if config.wifi_ssid:
        lines.append(f"Wi-Fi for learners: {config.wifi_ssid} (the join card has its QR code)")
    lines.append("")
    lines += [f"API: {url}/v1/university   (health: {url}/health)" for url in api_urls]
    lines.append(f"Instructors: university-local --data-dir {config.data_dir} tui   (in another terminal)")
    return lines


def _printable(text: str) -> bool:
    """Whether standard output can show `text` (a terminal without UTF-8 gets no QR code)."""
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _check_port_free(host: str, port: int) -> None:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                             "(is another server using that port?)") from None


def _keys_create(args: argparse.Namespace, config: Config) -> None:
    key, _ = keys.create_key(_store(config), args.app, args.env, args.type, args.label)
    print(key)


def _keys_list(args: argparse.Namespace, config: Config) -> None:
    rows = keys.list_keys(_store(config), args.app, include_revoked=args.all)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        print(f"{row['id']}  {row['app_id']:<20} {row['env']:<4} {row['key_type']:<11} {row['key_hint']}  "
              f"{row['label'] or '-':<10} {state}")


def _keys_revoke(args: argparse.Namespace, config: Config) -> None:
    row = keys.revoke_key(_store(config), args.key)
    print(f"revoked {row['id']} ({row['key_hint']}) of {row['app_id']}")


def _embed_hosts(args: argparse.Namespace, config: Config) -> None:
    store = _store(config)
    if args.set or args.reset:
        hosts = apps.set_embed_hosts(store, args.app, None if args.reset else args.set)
    else:
        hosts = apps.embed_hosts(store, args.app)
    print("\n".join(hosts))


def _users_import(args: argparse.Namespace, config: Config) -> None:
    from dataclasses import asdict

    from university_local.core.errors import ApiError
    from university_local.users.service import import_roster

    text = sys.stdin.read() if args.csv == "-" else Path(args.csv).read_text(encoding="utf-8")
    db = _staff(config, args.app, args.env)
    apps.ensure_app(db.site, args.app)
    try:
        result = import_roster(db, text)
    except ApiError as err:
        raise ValueError(err.errors[0]["detail"]) from None
    print(json.dumps(asdict(result), indent=2))
    if result.errors:
        sys.exit(1)


def _auto_create_users(args: argparse.Namespace, config: Config) -> None:
    store = _store(config)
    if args.setting:
        apps.set_auto_create_users(store, args.app, args.setting == "on")
    print("on" if apps.auto_create_users(store, args.app) else "off")


def _time_zone(args: argparse.Namespace, config: Config) -> None:
    from university_local.analytics.rollups import set_time_zone

    store = _store(config)
    if args.zone:
        set_time_zone(store, args.app, args.zone)
    print(apps.time_zone(store, args.app).key)


def _analytics_rebuild(args: argparse.Namespace, config: Config) -> None:
    from university_local.analytics.rollups import rebuild_all

    for app_id in rebuild_all(_store(config)):
        print(f"{app_id}: rollups rebuilt")


def _certificates_public_key(args: argparse.Namespace, config: Config) -> None:
    from university_local.certificates.resources import key_document
    from university_local.certificates.service import key_of, site_code
    from university_local.core.site import site_id

    store = _store(config)
    key = key_of(store)
    print(json.dumps(key_document(site_id(store), key, site_code(key)), indent=2))


def _certificates_verify(args: argparse.Namespace, config: Config) -> None:
    """Needs neither the server nor the database; only the key (or this site's key file)."""
    from university_local.certificates import offline, signing

    if args.public_key:
        public_key = args.public_key
    elif (config.data_dir / signing.KEY_FILE).exists():
        public_key = signing.load_or_create(config.data_dir).public_key
    else:
        raise ValueError("give the issuer's key with --public-key (this machine has no site key)")
    verdict = offline.verify(args.certificate, public_key)
    if not verdict.valid:
        print(f"NOT VALID: {verdict.reason}")
        sys.exit(1)
    assert verdict.claims is not None
    print(f"VALID: {offline.describe(verdict.claims)}")
    print("(Signature checked offline; a revocation made since can only be seen on the verification page.)")


def _scorm_import(args: argparse.Namespace, config: Config) -> None:
    """Prints the package resource; on a bad package, the JSON:API errors on stderr and exit status 1."""
    import orjson

    from university_local.core.errors import ApiError
    from university_local.scorm import service
    from university_local.scorm.resources import package_resource

    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        row = service.import_package(_staff(config, args.app, args.env), path, course_id=args.course,
                                     module_id=args.module, lesson_id=args.lesson, title=args.title)
    except ApiError as err:
        print(orjson.dumps(err.body(), option=orjson.OPT_INDENT_2).decode(), file=sys.stderr)
        sys.exit(1)
    print(orjson.dumps({"data": package_resource(row)}, option=orjson.OPT_INDENT_2).decode())


def _report_course(args: argparse.Namespace, config: Config) -> None:
    """Streams the report like the API does; with --output, the file appears only once complete."""
    import os

    from pydantic import ValidationError

    from university_local.core.errors import ApiError
    from university_local.reports.models import ReportQuery
    from university_local.reports.service import course_report

    try:
        query = ReportQuery(format=args.format, include=args.include)
    except ValidationError as exc:
        raise ValueError(exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")) from None
    try:
        report = course_report(_staff(config, args.app, args.env), args.course_id, fmt=query.format,
                               include=query.groups)
    except ApiError as err:
        raise ValueError(err.errors[0]["detail"]) from None
    if not args.output:
        try:
            for chunk in report.chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # e.g. `| head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    partial = Path(f"{args.output}.partial")
    try:
        with open(partial, "wb") as out:
            for chunk in report.chunks:
                out.write(chunk)
        os.replace(partial, args.output)
    finally:
        partial.unlink(missing_ok=True)
