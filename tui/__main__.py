"""`python -m tui --url URL --app APP [--drafts DIR] [--learner-url URL]`, the key in $UNIVERSITY_LOCAL_TUI_KEY.

`university-local tui` finds these for the local server and starts this; run it by hand to speak
to another server.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tui.app import InstructorApp
from tui.target import KEY_ENV, Target, default_drafts_base, drafts_dir_for


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tui", description="The instructors' terminal app.")
    parser.add_argument("--url", required=True, help="the server, e.g. http://192.168.1.20:8080")
    parser.add_argument("--app", required=True, help="the organisation (app id)")
    parser.add_argument("--key", help=f"a secret key (default: ${KEY_ENV})")
    parser.add_argument("--drafts", help="where grading drafts are kept (default: under $XDG_STATE_HOME)")
    parser.add_argument("--learner-url", help="the address learners open (default: the server's)")
    args = parser.parse_args(argv)
    key = args.key or os.environ.get(KEY_ENV)
    if not key:
        parser.error(f"a secret key is needed: --key or ${KEY_ENV}")
    drafts = drafts_dir_for(Path(args.drafts) if args.drafts else default_drafts_base(), args.url, args.app, key)
    InstructorApp(Target(args.url, args.app, key, drafts, args.learner_url)).run()
    sys.exit(0)


if __name__ == "__main__":
    main()
