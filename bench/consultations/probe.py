"""The consultations benchmark's in-process measures, after seed.py (same environment as
gunicorn):

1. The time to compute the results from scratch: `results.compute_results` with the results
   cache cleared (the questionnaire and the totals read once beforehand, as the page passes
   them), `--runs` times, median and spread, with its SQL statements; the free-text previews
   the page also shows (`results.text_previews`), cold; the same without paper responses
   (`include_offline=False`); and a cached call. The results are checked against what seed.py
   stored (responses counted, paper ones, every question's respondents, the first question's
   counts).
2. The results page through the Flask test client: its SQL statements and time signed in
   (bypasses the page cache; checked to be signed in: the page carries the CSRF token) with
   the results cache cold then warm; as an anonymous visitor with both caches empty, again
   (must be served by the page cache: no statement), and with the page cache emptied but the
   results cache warm (what refilling the page cache costs every PAGE_CACHE_SECONDS).

  python bench/consultations/probe.py --out DIR

Writes DIR/probe.json and DIR/queries-<name>.txt (each request's statements, slowest first).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from engage import create_app
from engage.consultations import results
from engage.extensions import db
from engage.processes.models import Process

HERE = Path(__file__).resolve().parent
USER_AGENT = "engage-bench"
COUNTED = re.compile(rb'<strong class="big">(\d+)</strong>')


def load_module(name: str, path: Path):  # noqa: ANN201
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(function, log, runs: int) -> dict:  # noqa: ANN001
    """Run `function` `runs` times: median/min/max milliseconds and the statements of the
    last run."""
    took = []
    statements: list = []
    value = None
    for _ in range(runs):
        log.take()
        started = time.perf_counter()
        value = function()
        took.append((time.perf_counter() - started) * 1000)
        statements = log.take()
    return {"ms": round(statistics.median(took), 1), "min_ms": round(min(took), 1),
            "max_ms": round(max(took), 1), "runs": runs, "queries": len(statements),
            "sql_ms": round(sum(ms for ms, _ in statements), 1), "value": value,
            "statements": statements}


def check(found: results.Results, seed: dict) -> list[str]:
    """Differences between the computed results and what seed.py stored (none expected)."""
    problems = []
    expected = seed["expected"]
    if found.responses != seed["submitted"]:
        problems.append(f"responses {found.responses} != {seed['submitted']}")
    if found.offline != seed["paper"] + seed["stand"]:
        problems.append(f"offline {found.offline} != {seed['paper'] + seed['stand']}")
    if found.started_online != seed["online"] + seed["drafts"]:
        problems.append(f"started online {found.started_online} != "
                        f"{seed['online'] + seed['drafts']}")
    for question_result in found.questions:
        want = expected["answered"].get(str(question_result.question.id))
        if question_result.answered != want:
            problems.append(f"question {question_result.question.id} answered "
                            f"{question_result.answered} != {want}")
    first = found.result(expected["first_question"])
    counts = {str(bar.key): bar.count for bar in first.bars}
    if counts != expected["first_question_counts"]:
        problems.append(f"first question counts {counts} != "
                        f"{expected['first_question_counts']}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    seed = json.loads((args.out / "seed.json").read_text())
    ideas_probe = load_module("bench_ideas_probe", HERE.parent / "ideas" / "probe.py")
    cookie = (args.out / "sessions.txt").read_text().split("\n")[0].split()[0]
    path = f"/{seed['city_slug']}/p/{seed['process_slug']}/results"

    app = create_app()
    with app.app_context():
        log = ideas_probe.StatementLog(db.engine)
    report: dict = {"path": path, "compute": {}, "pages": {}}
    statements_of: dict[str, list] = {}

    # ---- 1. computing the results, in a request context (the locale), no HTTP
    with app.test_request_context(path, headers={"User-Agent": USER_AGENT}):
        process = db.session.get(Process, seed["process_id"])
        questionnaire = results.load_questionnaire(process)
        counts = results.totals(process)
        results.compute_results(process, True, questionnaire, counts)  # warm the code paths

        def cold(include_offline: bool = True):  # noqa: ANN202
            results.clear_cache()
            return results.compute_results(process, include_offline, questionnaire, counts)

        def previews():  # noqa: ANN202
            results.clear_cache()
            return results.text_previews(process, questionnaire.questions, True, counts=counts)

        measures = {
            "compute (cold)": timed(cold, log, args.runs),
            "compute online only (cold)": timed(lambda: cold(False), log, args.runs),
            "text previews (cold)": timed(previews, log, args.runs),
            "totals (every request)": timed(lambda: results.totals(process), log, args.runs),
            "questionnaire (every request)": timed(
                lambda: results.load_questionnaire(process), log, args.runs),
        }
        results.compute_results(process, True, questionnaire, counts)
        measures["compute (cached)"] = timed(
            lambda: results.compute_results(process, True, questionnaire, counts), log,
            args.runs)
        problems = check(measures["compute (cold)"]["value"], seed)
        online_only = measures["compute online only (cold)"]["value"]
        if online_only.responses != seed["online"]:
            problems.append(f"online-only responses {online_only.responses} != {seed['online']}")
        for name, measure in measures.items():
            measure.pop("value")
            statements_of[name] = measure.pop("statements")
            report["compute"][name] = measure
        report["problems"] = problems
        db.session.rollback()

    # ---- 2. the page through the test client
    client = app.test_client(use_cookies=False)
    anonymous = {"User-Agent": USER_AGENT}
    signed_in = {"User-Agent": USER_AGENT, "Cookie": f"session={cookie}"}
    client.get(path, headers=signed_in)  # templates compiled, connections open

    def page(name: str, headers: dict, before=None, runs: int = 1) -> None:  # noqa: ANN001
        took, statements, response = [], [], None
        for _ in range(runs):
            if before:
                before()
            log.take()
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            took.append((time.perf_counter() - started) * 1000)
            statements = log.take()
        counted = COUNTED.search(response.data)
        report["pages"][name] = {
            "status": response.status_code, "bytes": len(response.data),
            "ms": round(statistics.median(took), 1), "runs": runs,
            "queries": len(statements), "sql_ms": round(sum(ms for ms, _ in statements), 1),
            "set_cookie": "Set-Cookie" in response.headers,
            "page_cache_entries": len(app.page_cache.entries),
            "responses_shown": int(counted.group(1)) if counted else None,
            # base.html gives htmx the CSRF token only to a signed-in user: the cookie works.
            "signed_in": b"X-CSRFToken" in response.data,
        }
        statements_of[f"page {name}"] = statements

    page("signed in, results cache cold", signed_in, results.clear_cache, args.runs)
    page("signed in, results cache warm", signed_in, None, args.runs)

    def empty_both() -> None:
        results.clear_cache()
        app.page_cache.clear()

    page("anonymous, both caches cold", anonymous, empty_both, args.runs)
    page("anonymous, page cache hit", anonymous, None, args.runs)
    page("anonymous, page cache refill (results cache warm)", anonymous,
         app.page_cache.clear, args.runs)
    for name, result in report["pages"].items():
        if result["status"] != 200:
            report["problems"].append(f"page {name}: status {result['status']}")
        if result["signed_in"] != name.startswith("signed in"):
            report["problems"].append(f"page {name}: signed in is {result['signed_in']}")
        if result["responses_shown"] != seed["submitted"]:
            report["problems"].append(f"page {name}: shows {result['responses_shown']} "
                                      f"responses, not {seed['submitted']}")
    hit = report["pages"]["anonymous, page cache hit"]
    report["page_cache_serves_anonymous"] = hit["queries"] == 0 and hit["page_cache_entries"] > 0

    for name, statements in statements_of.items():
        slug = re.sub(r"\W+", "-", name).strip("-")
        with open(args.out / f"queries-{slug}.txt", "w") as handle:
            for ms, statement in sorted(statements, reverse=True):
                handle.write(f"{ms:8.2f} ms  {statement}\n")
    (args.out / "probe.json").write_text(json.dumps(report, indent=2))
    for name, measure in report["compute"].items():
        print(f"{name:32} {measure['ms']:7.1f} ms median of {measure['runs']} "
              f"({measure['min_ms']}–{measure['max_ms']}), {measure['queries']} statements "
              f"({measure['sql_ms']} ms SQL)")
    for name, result in report["pages"].items():
        print(f"page {name:50} {result['status']} {result['ms']:7.1f} ms, "
              f"{result['queries']:2} statements ({result['sql_ms']} ms SQL), "
              f"{result['bytes']} bytes{', Set-Cookie' if result['set_cookie'] else ''}")
    print("anonymous visitors served by the page cache:", report["page_cache_serves_anonymous"])
    print("problems:", "; ".join(report["problems"]) or "none")


if __name__ == "__main__":
    main()
