"""The README's API walk-through: its code blocks are regions of docs/api-walkthrough.sh, and the
script runs end to end against a demo server, so the examples cannot drift from the server.

`python -m tests.test_walkthrough` copies the script's regions into the README's marked blocks.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Api, start_server

SCRIPT = ROOT / "docs" / "api-walkthrough.sh"
README = ROOT / "README.md"
# In the script: `# readme: NAME` ... `# readme: end`, whole lines.
REGION = re.compile(r"^# readme: (?!end\n)(\S+)\n(.*?)^# readme: end\n", re.MULTILINE | re.DOTALL)
# In the README: a marker comment naming the region, then the ```sh block that shows it.
BLOCK = re.compile(r"^(<!-- docs/api-walkthrough\.sh: (\S+) -->\n```sh\n)(.*?)(^```\n)", re.MULTILINE | re.DOTALL)


def script_regions() -> dict[str, str]:
    text = SCRIPT.read_text(encoding="utf-8")
    regions = REGION.findall(text)
    names = [name for name, _ in regions]
    assert len(set(names)) == len(names), f"a region name is used twice: {names}"
    markers = re.findall(r"^# readme: ", text, re.MULTILINE)
    assert len(markers) == 2 * len(regions), "a `# readme:` line without its pair"
    return dict(regions)


def synced_readme(readme: str, regions: dict[str, str]) -> str:
    """The README with each marked block replaced by the script's region of that name."""
    return BLOCK.sub(lambda m: m[1] + regions.get(m[2], m[3]) + m[4], readme)


def test_readme_blocks_are_the_script_regions() -> None:
    regions = script_regions()
    readme = README.read_text(encoding="utf-8")
    blocks = BLOCK.findall(readme)
    assert readme.count("<!-- docs/api-walkthrough.sh:") == len(blocks), "a marker not followed by a ```sh block"
    assert [name for _, name, _, _ in blocks] == list(regions), "each region is shown once, in the script's order"
    for _, name, body, _ in blocks:
        assert body == regions[name], (f"README block {name!r} differs from the script's region; edit the script, "
                                       "then run `python -m tests.test_walkthrough`")


def test_walkthrough_runs_against_the_demo_server(tmp_path: Path) -> None:
    assert shutil.which("curl"), "the walk-through needs curl (.ci/run installs it)"
    data_dir, files, bin_dir = tmp_path / "data", tmp_path / "files", tmp_path / "bin"
    data_dir.mkdir()
    bin_dir.mkdir()
    # The script's `university-local` lines run this checkout's CLI (PYTHONPATH below, whatever the
    # virtualenv has installed) on the server's data folder.
    cli = bin_dir / "university-local"
    cli.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m university_local "$@"\n')
    cli.chmod(0o755)

    srv = start_server(data_dir, {}, "--demo")  # as `make run`: the demo, default rate limits
    try:
        keys = dict(re.findall(r"(secret|publishable)\s+test \(staging\): (\S+)", srv.output()))
        env = {**os.environ, "BASE": srv.base, "APP": "demo-school", "SK": keys["secret"],
               "PK": keys["publishable"], "FILES": str(files), "UNIVERSITY_LOCAL_DATA_DIR": str(data_dir),
               "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
        run = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode == 0, f"{run.stderr}\n{srv.output()[-3000:]}"

        # What the walk-through left behind, read back through the API.
        api = Api(srv.base, "demo-school", keys["secret"])
        [course] = [c for c in api.get("/courses").json()["data"] if c["attributes"]["title"] == "First Aid"]
        doc = api.get(f"/courses/{course['id']}", params={"include": "modules"}).json()
        modules = {m["attributes"]["position"]: m["attributes"]["title"]
                   for m in doc["included"] if m["type"] == "module"}
        assert modules == {1: "Before you start", 2: "Basics"}  # reordered
        assert course["attributes"]["rating"] == 5

        quiz = api.get("/quizzes", params={"course_id": course["id"]}).json()["data"][0]
        attempts = api.get(f"/quizzes/{quiz['id']}/attempts", params={"user_id": "stu-001"}).json()["data"]
        assert [(a["attributes"]["score"], a["attributes"]["passed"]) for a in attempts] == [(98, True)]  # essay graded

        certificate = api.get("/certificates", params={"course_id": course["id"]}).json()["data"][0]["attributes"]
        assert (certificate["user_id"], certificate["status"]) == ("stu-001", "revoked")
        packages = api.get("/scorm/packages", params={"course_id": course["id"]}).json()["data"]
        assert len(packages) == 2  # one uploaded, one imported with the CLI

        report = (files / "report.csv").read_text(encoding="utf-8").splitlines()
        assert report[0].startswith("record_type,user_id,") and any(r.startswith("question,stu-001,") for r in report)
        assert (files / "downloads" / "todo-app.zip").read_bytes() == (files / "todo-app.zip").read_bytes()
        assert re.search(r"^VALID: CERT-", run.stdout, re.MULTILINE)  # the offline check of the certificate's PDF
    finally:
        srv.stop()


if __name__ == "__main__":
    README.write_text(synced_readme(README.read_text(encoding="utf-8"), script_regions()), encoding="utf-8")
