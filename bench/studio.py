"""How fast the studio checks a text as it is typed: ``POST /studio/api/validate`` round trips, beside
``orderloom validate`` on the same file.

The app over the shipped definitions and a fresh SQLite file (in a temporary directory), the admin
``ma.li`` of every department logged in through the login form; then, for each shipped workflow, form, UI
file and rule file, the file's text is sent ``--repeat`` times to the validate API through Flask's test
client (the whole request: the login check, the JSON, every check across files, the answer), each time
with one more character typed at the end (a comment, or a space for JSON) so that no answer is the same
text's. The baseline, in the same run, on the same file: ``orderloom validate FILE`` as a command
(``python -m cli validate``, a new process each time, as an editor's "check on save" would run it),
``--cli-repeat`` times.

Then ``--repeat`` edits that change what the retail workflow means (a state's label one character
longer each time), which the files holding it (the flash-sale overlay) are checked against too.

Prints exactly one JSON line: for each file its kind, p50 and p99 of the API in ms, and the CLI's median
in ms; the p99 of the shipped retail workflow (the target: under 100 ms, so that checking keeps up with
typing), and the p50 and p99 of the edits that change its meaning.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from admin_app import ADMIN, PASSWORD, REPO_ROOT, admin_app

from engine.api.studio import kind_of

RETAIL = "workflows/retail/order.yaml"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def files() -> list[str]:
    found = []
    for folder in ("workflows", "forms", "rules"):
        for path in sorted((REPO_ROOT / folder).rglob("*")):
            relative = path.relative_to(REPO_ROOT).as_posix()
            if path.is_file() and kind_of(relative) is not None:
                found.append(relative)
    return found


def department_of(path: str, folders: dict[str, str]) -> str:
    folder = path.split("/")[1]
    return next(department for department, name in folders.items() if name == folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="API round trips per file")
    parser.add_argument("--cli-repeat", type=int, default=3, help="orderloom validate runs per file")
    args = parser.parse_args()
    with admin_app("studio", {"TESTING": True, "WTF_CSRF_ENABLED": False}) as app:
        services = app.extensions["orderloom"]
        client = app.test_client()
        client.post("/login", data={"name": ADMIN, "password": PASSWORD})
        folders = services.studio.departments()
        results: dict[str, dict[str, object]] = {}
        for path in files():
            kind = kind_of(path)
            assert kind is not None
            text = (REPO_ROOT / path).read_text(encoding="utf-8")
            body = {"kind": kind.value, "department": department_of(path, folders), "name": path}
            typed = " " if kind.syntax == "json" else "\n#"
            timings = []
            for attempt in range(args.repeat + 1):
                started = time.perf_counter()
                answer = client.post("/studio/api/validate", json={**body, "text": text + typed * attempt})
                elapsed = (time.perf_counter() - started) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
                if attempt:  # the first one warms the caches
                    timings.append(elapsed)
            cli = []
            for _ in range(args.cli_repeat):
                started = time.perf_counter()
                subprocess.run(  # noqa: S603 - this checkout's own CLI on its own files
                    [sys.executable, "-m", "cli", "validate", path],
                    cwd=REPO_ROOT,
                    capture_output=True,
                    check=False,
                )
                cli.append((time.perf_counter() - started) * 1000)
            results[path] = {
                "kind": kind.value,
                "api_p50_ms": round(percentile(timings, 0.5), 1),
                "api_p99_ms": round(percentile(timings, 0.99), 1),
                "cli_median_ms": round(statistics.median(cli), 1),
            }
        # Edits that change what the retail workflow means (a state's label, one character more each
        # time), so that the files holding it (the flash-sale overlay) are checked with it too.
        text = (REPO_ROOT / RETAIL).read_text(encoding="utf-8")
        body = {"kind": "workflow", "department": "retail", "name": RETAIL}
        edits = []
        for attempt in range(args.repeat + 1):
            label = "待支付" + "款" * (attempt + 1)
            edited = text.replace("label: {zh: 待支付,", f"label: {{zh: {label},", 1)
            started = time.perf_counter()
            answer = client.post("/studio/api/validate", json={**body, "text": edited})
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200 or answer.get_json()["problems"]:
                said = answer.get_data(as_text=True)[:200]
                raise SystemExit(f"{RETAIL} edited: {answer.status_code} {said}")
            if attempt:
                edits.append(elapsed)
    print(
        json.dumps(
            {
                "bench": "studio",
                "repeat": args.repeat,
                "retail_workflow_api_p99_ms": results[RETAIL]["api_p99_ms"],
                "retail_workflow_edit_p50_ms": round(percentile(edits, 0.5), 1),
                "retail_workflow_edit_p99_ms": round(percentile(edits, 0.99), 1),
                "retail_workflow_cli_median_ms": results[RETAIL]["cli_median_ms"],
                "files": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
