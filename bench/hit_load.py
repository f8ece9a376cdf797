#!/usr/bin/env python3
"""Load test: N simulated workers take whole IPM 2021 HITs over HTTP against gunicorn.

Usage (PostgreSQL required; Redis optional):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tc_bench REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python bench/hit_load.py --workers 200

It migrates the database, creates a fresh `ipm2021` batch (slug bench-<time>) with its designs,
starts gunicorn, and runs the workers through the same endpoints a browser uses: entry, consent,
every page (GET, then an autosave and a behaviour-log post on statement pages, then Next after a
think time longer than the 2 s minimum-time gate), submit and the result page. A few floor
threads hit /healthz (one SELECT 1 through Django) all along, in the same server. Afterwards it
prints completed HITs per minute, p50/p95 per endpoint and for the floor, and row counts that show
whether any judgment was lost or duplicated.
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CRT = {"farmers": "3", "marks": "9", "athletics": "4"}
RADIO = re.compile(r'<input type="radio" name="([^"]+)" value="(-?\d+)"')
TEXT_INPUT = re.compile(r'<input id="(q-[^"]+)" name="\1"')
ATTEMPT = re.compile(r'name="attempt" value="(\d+)"')
STATEMENT_TEXT = re.compile(r"<blockquote><p>(.*?)</p></blockquote>", re.S)
CODE = re.compile(r'id="completion-code">([A-Z0-9]+)<')


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")
    import django

    django.setup()


def batch_prepare(workers: int) -> tuple[str, dict[str, str]]:
    """Create a fresh IPM 2021 batch with designs; return its slug and the gold texts."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from assessments.models import Batch
    from assessments.services.hits import batch_designs_generate
    from assessments.services.studies import study_create_ipm2021

    call_command("migrate", verbosity=0)
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    slug = f"bench-{int(time.time())}"
    batch = study_create_ipm2021(owner=owner, slug=slug)
    # Simulated workers do not search (bench/search.py measures the search endpoints), so there
    # is no SERP log for the evidence gate to read: it would fail every HIT.
    batch.quality_gates = [g for g in batch.quality_gates if g["name"] != "evidence_from_serp"]
    batch.status = Batch.Status.LIVE
    batch.save()
    designs = batch_designs_generate(batch=batch, seed=1)
    slots = sum(d.capacity for d in designs)
    if workers > slots:
        sys.exit(f"{workers} workers but the batch has only {slots} slots")
    gold = {}
    with open(ROOT / "data" / "ipm2021" / "gold_statements.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            gold[row["text"]] = row["statement_id"]
    return slug, gold


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = []
        self.events_sent = 0
        self.codes = []

    def record(self, name, seconds):
        with self.lock:
            self.times[name].append(seconds)

    def error(self, message):
        with self.lock:
            self.errors.append(message)


def timed(stats, name, call, *args, expect=(200, 302), **kwargs):
    start = time.perf_counter()
    response = call(*args, allow_redirects=False, timeout=60, **kwargs)
    stats.record(name, time.perf_counter() - start)
    if response.status_code not in expect:
        raise RuntimeError(f"{name}: HTTP {response.status_code} {response.url}")
    return response


def answers_for(html: str, gold: dict[str, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    radios = defaultdict(list)
    for name, value in RADIO.findall(html):
        radios[name].append(value)
    text = STATEMENT_TEXT.search(html)
    shown = text.group(1).replace("&#x27;", "'").replace("&quot;", '"') if text else ""
    for index, (name, values) in enumerate(radios.items()):
        data[name] = values[(index + len(shown)) % len(values)]
    if shown in gold and "f-overall_truthfulness" in radios:
        values = radios["f-overall_truthfulness"]
        data["f-overall_truthfulness"] = values[-1] if gold[shown] == "HIGH" else values[0]
    for name in TEXT_INPUT.findall(html):
        data[name] = CRT.get(name[2:], "1")
    if "data-evidence-input" in html:
        data["evidence_url"] = f"https://evidence.example/{abs(hash(shown)) % 10000}"
    return data


def worker_run(base: str, slug: str, number: int, think: float, gold, stats: Stats):
    session = requests.Session()
    try:
        entry = f"{base}/hit/{slug}/"
        timed(stats, "entry GET", session.get, entry, params={"worker": f"bench-{number}"})
        csrf = session.cookies.get("csrftoken")
        response = timed(
            stats,
            "consent POST",
            session.post,
            entry,
            data={"worker": f"bench-{number}", "consent": "yes", "csrfmiddlewaretoken": csrf},
        )
        url = (
            base
            + timed(stats, "resume GET", session.get, base + response.headers["Location"]).headers[
                "Location"
            ]
        )
        while True:
            page = timed(stats, "page GET", session.get, url, expect=(200,))
            html = page.text
            attempt = ATTEMPT.search(html).group(1)
            form = {"csrfmiddlewaretoken": csrf, "attempt": attempt}
            answers = answers_for(html, gold)
            if "f-" in "".join(answers):
                time.sleep(think / 2)
                partial = dict(list(answers.items())[:3])
                timed(
                    stats,
                    "autosave POST",
                    session.post,
                    url,
                    data={**form, **partial, "action": "autosave"},
                    expect=(200,),
                )
                events = [
                    {"kind": "answer_change", "ts": int(time.time() * 1000), "payload": {"name": k}}
                    for k in partial
                ]
                timed(
                    stats,
                    "events POST",
                    session.post,
                    url.split("/p/")[0] + "/events/",
                    data={"csrfmiddlewaretoken": csrf, "events": json.dumps(events)},
                    expect=(200,),
                )
                with stats.lock:
                    stats.events_sent += len(events)
                time.sleep(think / 2)
            else:
                time.sleep(think)
            if 'value="submit"' in html:
                done = timed(
                    stats, "submit POST", session.post, url, data={**form, "action": "submit"}
                )
                result = timed(
                    stats, "result GET", session.get, base + done.headers["Location"], expect=(200,)
                )
                code = CODE.search(result.text)
                if not code:
                    raise RuntimeError("no completion code on the result page")
                with stats.lock:
                    stats.codes.append(code.group(1))
                return
            response = timed(
                stats,
                "answer POST (Next)",
                session.post,
                url,
                data={**form, **answers, "action": "next"},
            )
            url = base + response.headers["Location"]
    except Exception as exc:  # a benchmark reports every failure instead of stopping
        stats.error(f"worker {number}: {exc}")


def floor_run(base: str, stop: threading.Event, stats: Stats, interval: float):
    session = requests.Session()
    while not stop.is_set():
        try:
            timed(stats, "floor GET /healthz", session.get, f"{base}/healthz", expect=(200,))
        except Exception as exc:
            stats.error(f"floor: {exc}")
        stop.wait(interval)


def server_start(port: int, processes: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "truthcrowd.settings.base",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "truthcrowd.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(processes),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            # Longer than the think time: otherwise the server closes idle keep-alive
            # connections just as a worker reuses them (connection reset by peer).
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(60):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.5)
    server.terminate()
    sys.exit("gunicorn did not start")


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(stats: Stats, elapsed: float, workers: int, slug: str):
    from django.db.models import Count

    from assessments.models import Assignment, Attempt, BehaviourEvent, Judgment, JudgmentValue

    print(
        f"\n{workers} workers, {elapsed:.1f} s, {len(stats.codes)} HITs completed "
        f"= {len(stats.codes) / elapsed * 60:.1f} completed HITs per minute"
    )
    print(f"{'endpoint':<22}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for name in sorted(stats.times):
        values = stats.times[name]
        print(
            f"{name:<22}{len(values):>7}{percentile(values, 0.5) * 1000:>9.1f}"
            f"{percentile(values, 0.95) * 1000:>9.1f}{max(values) * 1000:>9.1f}"
        )
    print(f"errors: {len(stats.errors)}")
    for message in stats.errors[:10]:
        print("  ", message)

    passed = Attempt.objects.filter(assignment__batch__slug=slug, status="passed")
    judgments = Judgment.objects.filter(attempt__in=passed)
    per_statement = (
        judgments.filter(statement__is_gold=False)
        .values("statement")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    duplicates = (
        Judgment.objects.filter(attempt__assignment__batch__slug=slug)
        .values("attempt", "statement")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    completed = Assignment.objects.filter(batch__slug=slug, status="completed").count()
    n_judgments, n_values = (
        judgments.count(),
        JudgmentValue.objects.filter(judgment__in=judgments).count(),
    )
    n_events = BehaviourEvent.objects.filter(
        assignment__batch__slug=slug, kind="answer_change"
    ).count()
    print("rows:")
    print(
        f"  completed assignments {completed} (expected {len(stats.codes)}), "
        f"distinct codes {len(set(stats.codes))}"
    )
    print(
        f"  judgments of passed attempts {n_judgments} (expected {completed * 11}), "
        f"values {n_values} (expected {completed * 99})"
    )
    print(f"  duplicate (attempt, statement) judgments {duplicates}")
    print(
        f"  judgments per dataset statement: min {min(per_statement, default=0)}, "
        f"max {max(per_statement, default=0)} (wanted at most 10)"
    )
    print(f"  behaviour events stored {n_events} (sent {stats.events_sent})")
    ok = (
        completed == len(stats.codes) == workers
        and n_judgments == completed * 11
        and n_values == completed * 99
        and duplicates == 0
        and max(per_statement, default=0) <= 10
        and n_events == stats.events_sent
        and not stats.errors
    )
    print("RESULT:", "OK: nothing lost or duplicated" if ok else "PROBLEMS (see above)")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=200)
    parser.add_argument("--think", type=float, default=2.2, help="seconds per page (gate: 2)")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which workers start")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--floor-threads", type=int, default=2)
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    setup_django()
    slug, gold = batch_prepare(args.workers)
    server = server_start(args.port, args.processes, args.threads)
    base = f"http://127.0.0.1:{args.port}"
    stats, stop = Stats(), threading.Event()
    try:
        floors = [
            threading.Thread(target=floor_run, args=(base, stop, stats, 0.2))
            for _ in range(args.floor_threads)
        ]
        for thread in floors:
            thread.start()
        started = time.perf_counter()
        workers = []
        for number in range(args.workers):
            thread = threading.Thread(
                target=worker_run, args=(base, slug, number, args.think, gold, stats)
            )
            thread.start()
            workers.append(thread)
            time.sleep(args.ramp / max(1, args.workers))
        for thread in workers:
            thread.join()
        elapsed = time.perf_counter() - started
        stop.set()
        for thread in floors:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"server: gunicorn {args.processes} processes x {args.threads} threads; "
        f"REDIS_URL {'set' if os.environ.get('REDIS_URL') else 'unset'}"
    )
    sys.exit(0 if report(stats, elapsed, args.workers, slug) else 1)


if __name__ == "__main__":
    main()
