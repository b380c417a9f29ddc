"""How the WSGI server was chosen: the same app and data under each candidate server.

    pip install waitress gunicorn cheroot   # the candidates not shipped with the project
    python bench/servers.py [--seconds 8] [--threads 16]

Each server runs `university_local.wsgi:application` in one process with a pool of threads on
a seeded database; wrk drives `GET /health` and `GET /v1/university/courses` at 50 connections.
Candidates that are not installed are skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import seed  # noqa: E402
from common import CLI, ROOT, Server, _wait_healthy, free_port, print_table, wrk  # noqa: E402

from university_local.core.config import Config  # noqa: E402
from university_local.server import uwsgi_args  # noqa: E402

APP = "university_local.wsgi:application"


def commands(port: int, threads: int) -> dict[str, list[str]]:
    py = sys.executable
    production = Config(host="127.0.0.1", port=port, threads=threads)
    return {
        # uWSGI exactly as `university-local serve` runs it.
        "uwsgi": [py, "-c", "import pyuwsgi, sys; pyuwsgi.run(sys.argv[1:])", *uwsgi_args(production)],
        "waitress": [py, "-m", "waitress", f"--listen=127.0.0.1:{port}", f"--threads={threads}", APP],
        "gunicorn": [py, "-m", "gunicorn", "-k", "gthread", "-w", "1", f"--threads={threads}",
                     "-b", f"127.0.0.1:{port}", APP],
        "cheroot": [py, "-c", "import sys; from cheroot.cli import main; sys.argv = ['cheroot'] + sys.argv[1:]; main()",
                    "--bind", f"127.0.0.1:{port}", "--threads", str(threads), APP],
    }


MODULES = {"uwsgi": "pyuwsgi", "waitress": "waitress", "gunicorn": "gunicorn", "cheroot": "cheroot"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ul-servers-") as tmp:
        env = {**os.environ, "UNIVERSITY_LOCAL_DATA_DIR": tmp, "UNIVERSITY_LOCAL_RATE_LIMITS": "off"}
        key = subprocess.run([*CLI, "keys", "create", "--app", "bench", "--env", "test", "--type", "secret"],
                             check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout.strip()
        seeded = False
        for name, module in MODULES.items():
            if importlib.util.find_spec(module) is None:
                print(f"{name}: not installed, skipped\n")
                continue
            port = free_port()
            proc = subprocess.Popen(commands(port, args.threads)[name], env=env, cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_healthy(base)
                server = Server(base, Path(tmp), "bench", key)
                if not seeded:
                    seed(server, 60)
                    seeded = True
                wrk("warm-up", base + "/v1/university/courses", server.headers, 50, 2)
                health = wrk("GET /health", base + "/health", {}, 50, args.seconds)
                courses = wrk("GET /v1/university/courses", base + "/v1/university/courses", server.headers,
                              50, args.seconds)
                print(f"== {name} ({args.threads} threads, 50 connections)")
                print_table([health, courses], health)
                print()
            finally:
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
