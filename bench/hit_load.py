#!/usr/bin/env python3
"""Load test: N simulated workers take whole IPM 2021 HITs over HTTP against gunicorn.

Usage (PostgreSQL required; Redis optional):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tc_bench REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python bench/hit_load.py --workers 200              # realistic think times
    ... bench/hit_load.py --workers 200 --think 3                       # stress: 3 s on every page

It migrates the database, creates a fresh `ipm2021` batch (slug bench-<time>) with its designs,
starts gunicorn, and runs the workers through the same requests a browser with static/hit/hit.js
makes: entry, consent, then per page a GET, autosave POSTs (hit.js saves the form 5 s after a
change, with every change made by then), behaviour-log POSTs (hit.js flushes every 30 s and on
leaving the page), Next; on the last page submit and the result page. Simulated workers do not search
(bench/search.py measures search), so the batch runs without the evidence-from-SERP gate.

Think time (seconds on a page, seeded per worker, uniform within the bounds, answers spread
evenly-at-random over it): instructions 20-60, questionnaire 5-15, statement 15-40, final 5-15.
Why: the study paid $2 for 11 statements (9 questions and an evidence link each) plus three
questionnaires and gave 3,600 s; a worker reading a statement, looking for evidence and
answering nine scales needs tens of seconds, and the model's mean HIT (about 6.5 minutes, i.e.
$18/hour) is a fast worker, so it loads the server more than the study's workers did. --think
replaces the model with a fixed time on every page for stress tests (at least 2 s: the
minimum-time gate).

Before the run, CAP closed-loop clients (no think time) on a second batch alternate a statement
page GET and an autosave POST for a few seconds: the server's measured capacity for the target
requests on this machine at this moment. The floor, /healthz (one SELECT 1 through Django in the
same server), is polled all along. The client runs in several processes with threads, and
prints its own CPU per request so that a client bottleneck shows. Afterwards it prints completed
HITs per minute, p50/p95 per request kind and as a ratio of the floor's, offered load against
capacity, whether p95 <= 150 ms for page loads and answer saves, and row counts that show
whether any judgment was lost or duplicated.
"""

import argparse
import csv
import json
import multiprocessing
import os
import random
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
TARGET_MS = 150
TARGET_KINDS = ("page GET", "autosave POST", "answer POST (Next)")
# Seconds on a page by kind: (low, high) of a uniform draw; see the module docstring.
THINK_MODEL = {
    "instructions": (20, 60),
    "questionnaire": (5, 15),
    "statement": (15, 40),
    "final": (5, 15),
}
EVENTS_FLUSH_S = 30  # hit.js sends its queue every 30 s
SAVE_DELAY_S = 5  # hit.js's SAVE_DELAY_MS


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")
    import django

    django.setup()


def batch_prepare(workers: int, suffix: str = "") -> tuple[str, dict[str, str]]:
    """Create a fresh IPM 2021 batch with designs; return its slug and the gold texts."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from assessments.models import Batch
    from assessments.services.hits import batch_designs_generate
    from assessments.services.studies import study_create_ipm2021

    call_command("migrate", verbosity=0)
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    slug = f"bench-{int(time.time())}{suffix}"
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
        self.active = 0
        self.peak = 0

    def record(self, name, seconds):
        with self.lock:
            self.times[name].append(seconds)

    def error(self, message):
        with self.lock:
            self.errors.append(message)

    def started(self, delta: int):
        with self.lock:
            self.active += delta
            self.peak = max(self.peak, self.active)

    def as_dict(self) -> dict:
        return {
            "times": dict(self.times),
            "errors": self.errors,
            "events_sent": self.events_sent,
            "codes": self.codes,
            "peak": self.peak,
        }


def timed(stats, name, call, *args, expect=(200, 302), **kwargs):
    start = time.perf_counter()
    response = call(*args, allow_redirects=False, timeout=120, **kwargs)
    stats.record(name, time.perf_counter() - start)
    if response.status_code not in expect:
        raise RuntimeError(f"{name}: HTTP {response.status_code} {response.url}")
    return response


def page_kind(html: str) -> str:
    if 'value="submit"' in html:
        return "final"
    if 'name="f-' in html:
        return "statement"
    if 'name="q-' in html:
        return "questionnaire"
    return "instructions"


def answers_for(html: str, gold: dict[str, str]) -> dict[str, str]:
    """The answers a worker gives on a page, in the order they are given."""
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


class Page:
    """One served page: the browser's answer changes, autosaves and behaviour log on it."""

    def __init__(self, session, stats, url, events_url, csrf, form):
        self.session, self.stats, self.url = session, stats, url
        self.events_url, self.csrf, self.form = events_url, csrf, form
        self.queue = [{"kind": "page_view", "ts": int(time.time() * 1000), "payload": {}}]
        self.last_flush = time.monotonic()

    def flush(self):
        if not self.queue:
            return
        events, self.queue = self.queue, []
        timed(
            self.stats,
            "events POST",
            self.session.post,
            self.events_url,
            data={"csrfmiddlewaretoken": self.csrf, "events": json.dumps(events)},
            expect=(200,),
        )
        with self.stats.lock:
            self.stats.events_sent += sum(e["kind"] == "answer_change" for e in events)
        self.last_flush = time.monotonic()

    def wait_until(self, moment: float):
        """Sleep until `moment` (monotonic), flushing the event queue every EVENTS_FLUSH_S like
        hit.js's interval."""
        while self.last_flush + EVENTS_FLUSH_S < moment:
            time.sleep(max(0.0, self.last_flush + EVENTS_FLUSH_S - time.monotonic()))
            due = self.last_flush + EVENTS_FLUSH_S
            self.flush()
            self.last_flush = due
        time.sleep(max(0.0, moment - time.monotonic()))

    def answer(self, answers: dict[str, str], think: float, rng: random.Random):
        """Give the answers one by one at random moments of the think time; like hit.js, the
        first change schedules a save SAVE_DELAY_S later that carries every change made by then
        (Next drops a save still pending: it posts everything)."""
        start = time.monotonic()
        changes = sorted((rng.uniform(0.1, 0.9) * think, item) for item in answers.items())
        given, due = {}, None
        while True:
            moment = min(
                [t for t in (changes[0][0] if changes else None, due) if t is not None] or [think]
            )
            if moment >= think:
                break
            self.wait_until(start + moment)
            if moment == due:
                due = None
                timed(
                    self.stats,
                    "autosave POST",
                    self.session.post,
                    self.url,
                    data={**self.form, **given, "action": "autosave"},
                    expect=(200,),
                )
                continue
            _, (name, value) = changes.pop(0)
            given[name] = value
            self.queue.append(
                {"kind": "answer_change", "ts": int(time.time() * 1000), "payload": {"name": name}}
            )
            if due is None:
                due = moment + SAVE_DELAY_S
        self.wait_until(start + think)


def think_time(kind: str, rng: random.Random, fixed: float | None) -> float:
    if fixed is not None:
        return fixed
    low, high = THINK_MODEL[kind]
    return rng.uniform(low, high)


def worker_run(base, slug, number, think, gold, stats: Stats, seed: int):
    rng = random.Random(seed * 100_003 + number)
    session = requests.Session()
    stats.started(+1)
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
        events_url = url.split("/p/")[0] + "/events/"
        while True:
            html = timed(stats, "page GET", session.get, url, expect=(200,)).text
            kind = page_kind(html)
            form = {"csrfmiddlewaretoken": csrf, "attempt": ATTEMPT.search(html).group(1)}
            page = Page(session, stats, url, events_url, csrf, form)
            answers = answers_for(html, gold)
            seconds = think_time(kind, rng, think)
            if kind == "instructions":
                time.sleep(seconds)  # no hit.js on the instructions
            else:
                page.answer(answers, seconds, rng)
                page.queue.append(
                    {"kind": "page_leave", "ts": int(time.time() * 1000), "payload": {}}
                )
                page.flush()  # sendBeacon on pagehide
            if kind == "final":
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
    finally:
        stats.started(-1)


def client_process(base, slug, numbers, think, gold, ramp_at, seed, out):
    """One client process: its share of the workers as threads, started at their ramp times."""
    stats = Stats()
    cpu = time.process_time()
    threads = []
    for number in numbers:
        time.sleep(max(0.0, ramp_at[number] - time.time()))
        thread = threading.Thread(
            target=worker_run, args=(base, slug, number, think, gold, stats, seed)
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    result = stats.as_dict()
    result["cpu_s"] = time.process_time() - cpu
    out.put(result)


def capacity_measure(base, slug, gold, clients: int, seconds: float) -> tuple[float, int]:
    """Closed loop, no think time: `clients` workers each walk to their first statement page,
    then alternate its GET and an autosave POST; return requests per second and errors."""
    stats, ready, go = Stats(), threading.Barrier(clients + 1), threading.Event()
    counted = []

    def client(number):
        session = requests.Session()
        entry = f"{base}/hit/{slug}/"
        try:
            session.get(entry, params={"worker": f"cap-{number}"}, timeout=60)
            csrf = session.cookies.get("csrftoken")
            response = session.post(
                entry,
                data={"worker": f"cap-{number}", "consent": "yes", "csrfmiddlewaretoken": csrf},
                allow_redirects=True,
                timeout=60,
            )
            while page_kind(response.text) != "statement":
                form = {"csrfmiddlewaretoken": csrf, "attempt": ATTEMPT.search(response.text)[1]}
                answers = answers_for(response.text, gold)
                response = session.post(
                    response.url, data={**form, **answers, "action": "next"}, timeout=60
                )
            url, html = response.url, response.text
            form = {"csrfmiddlewaretoken": csrf, "attempt": ATTEMPT.search(html)[1]}
            partial = dict(list(answers_for(html, gold).items())[:3])
        finally:
            ready.wait()
        go.wait()
        n, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            timed(stats, "page GET", session.get, url, expect=(200,))
            timed(
                stats,
                "autosave POST",
                session.post,
                url,
                data={**form, **partial, "action": "autosave"},
                expect=(200,),
            )
            n += 2
        counted.append(n)

    def guarded(number):
        try:
            client(number)
        except Exception as exc:
            stats.error(f"capacity client {number}: {exc}")

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    go.set()
    for thread in threads:
        thread.join()
    return sum(counted) / seconds, len(stats.errors)


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
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        sys.exit(f"port {port} is in use (another run?): choose --port")
    except requests.ConnectionError:
        pass
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
            # Longer than any think time: otherwise the server closes idle keep-alive
            # connections just as a worker reuses them (connection reset by peer).
            "--keep-alive",
            "75",
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


def rows_check(slug: str, codes: list[str], events_sent: int) -> bool:
    from django.db.models import Count

    from assessments.models import (
        Assignment,
        Attempt,
        Batch,
        BehaviourEvent,
        Judgment,
        JudgmentValue,
    )

    batch = Batch.objects.get(slug=slug)
    passed = Attempt.objects.filter(assignment__batch=batch, status="passed")
    judgments = Judgment.objects.filter(attempt__in=passed)
    per_statement = (
        judgments.filter(statement__is_gold=False)
        .values("statement")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    duplicates = (
        Judgment.objects.filter(attempt__assignment__batch=batch)
        .values("attempt", "statement")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    completed = Assignment.objects.filter(batch=batch, status="completed").count()
    n_judgments = judgments.count()
    n_values = JudgmentValue.objects.filter(judgment__in=judgments).count()
    n_events = BehaviourEvent.objects.filter(assignment__batch=batch, kind="answer_change").count()
    per_hit, fields = batch.statements_per_hit, batch.fields.count()
    print("rows:")
    print(
        f"  completed assignments {completed} (expected {len(codes)}), "
        f"distinct codes {len(set(codes))}"
    )
    print(
        f"  judgments of passed attempts {n_judgments} (expected {completed * per_hit}), "
        f"values {n_values} (expected {completed * per_hit * fields})"
    )
    print(f"  duplicate (attempt, statement) judgments {duplicates}")
    print(
        f"  judgments per dataset statement: min {min(per_statement, default=0)}, "
        f"max {max(per_statement, default=0)} (wanted at most {batch.judgments_per_statement})"
    )
    print(f"  answer_change events stored {n_events} (sent {events_sent})")
    return (
        completed == len(codes) == len(set(codes))
        and n_judgments == completed * per_hit
        and n_values == completed * per_hit * fields
        and duplicates == 0
        and max(per_statement, default=0) <= batch.judgments_per_statement
        and n_events == events_sent
    )


def report(results, floor: Stats, elapsed, workers, slug, capacity, client_cpu) -> bool:
    times = defaultdict(list)
    for result in [*results, floor.as_dict()]:
        for name, values in result["times"].items():
            times[name].extend(values)
    errors = [e for r in [*results, floor.as_dict()] for e in r["errors"]]
    codes = [c for r in results for c in r["codes"]]
    events_sent = sum(r["events_sent"] for r in results)
    peak = sum(r["peak"] for r in results)
    served = sum(len(v) for k, v in times.items() if not k.startswith("floor"))
    print(
        f"\n{workers} workers (peak {peak} at once), {elapsed:.1f} s, {len(codes)} HITs "
        f"completed = {len(codes) / elapsed * 60:.1f} completed HITs per minute"
    )
    print(
        f"offered load {served / elapsed:.1f} requests/s = {served / elapsed / capacity:.2f} of "
        f"the measured capacity {capacity:.1f} requests/s; client CPU "
        f"{client_cpu / max(1, served) * 1000:.2f} ms per request"
    )
    floor_p95 = percentile(times["floor GET /healthz"], 0.95)
    print(f"{'request':<22}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'p95/floor':>11}")
    for name in sorted(times):
        values = times[name]
        p95 = percentile(values, 0.95)
        print(
            f"{name:<22}{len(values):>7}{percentile(values, 0.5) * 1000:>9.1f}"
            f"{p95 * 1000:>9.1f}{max(values) * 1000:>9.1f}{p95 / floor_p95:>11.1f}"
        )
    print(f"errors: {len(errors)}")
    for message in errors[:10]:
        print("  ", message)
    worst = max(percentile(times[k], 0.95) for k in TARGET_KINDS if times[k]) * 1000
    met = worst <= TARGET_MS and not errors
    print(
        f"TARGET p95 <= {TARGET_MS} ms for {', '.join(TARGET_KINDS)} with 0 errors: "
        f"{'MET' if met else 'NOT MET'} (worst p95 {worst:.1f} ms)"
    )
    ok = rows_check(slug, codes, events_sent) and len(codes) == workers and not errors
    print("RESULT:", "OK: nothing lost or duplicated" if ok else "PROBLEMS (see above)")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=200)
    parser.add_argument(
        "--think", type=float, default=None, help="fixed seconds per page (default: the model)"
    )
    parser.add_argument("--ramp", type=float, default=60.0, help="seconds over which workers start")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--processes", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--floor-threads", type=int, default=2)
    parser.add_argument("--cap-clients", type=int, default=8, help="capacity phase clients")
    parser.add_argument("--cap-seconds", type=float, default=15.0)
    args = parser.parse_args()
    if args.think is not None and args.think <= 2:
        sys.exit("--think must exceed the 2 s minimum-time gate")
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    setup_django()
    from django.db import connections

    slug, gold = batch_prepare(args.workers)
    cap_slug, _ = batch_prepare(args.cap_clients, suffix="-cap")
    connections.close_all()  # the client processes fork from here
    server = server_start(args.port, args.processes, args.threads)
    base = f"http://127.0.0.1:{args.port}"
    floor, stop = Stats(), threading.Event()
    try:
        capacity, cap_errors = capacity_measure(
            base, cap_slug, gold, args.cap_clients, args.cap_seconds
        )
        print(
            f"capacity: {capacity:.1f} requests/s (statement page GET + autosave POST, "
            f"{args.cap_clients} closed-loop clients, {args.cap_seconds:.0f} s, "
            f"{cap_errors} errors)"
        )
        started = time.perf_counter()
        now = time.time()
        ramp_at = [now + args.ramp * n / max(1, args.workers) for n in range(args.workers)]
        out = multiprocessing.get_context("fork").Queue()
        clients = [
            multiprocessing.get_context("fork").Process(
                target=client_process,
                args=(
                    base,
                    slug,
                    range(i, args.workers, args.clients),
                    args.think,
                    gold,
                    ramp_at,
                    args.seed,
                    out,
                ),
            )
            for i in range(args.clients)
        ]
        for process in clients:
            process.start()
        # Started after the fork, so that no client process inherits a lock a floor thread holds.
        floors = [
            threading.Thread(target=floor_run, args=(base, stop, floor, 0.2))
            for _ in range(args.floor_threads)
        ]
        for thread in floors:
            thread.start()
        results = [out.get() for _ in clients]
        for process in clients:
            process.join()
        elapsed = time.perf_counter() - started
        stop.set()
        for thread in floors:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"server: gunicorn {args.processes} processes x {args.threads} threads; "
        f"REDIS_URL {'set' if os.environ.get('REDIS_URL') else 'unset'}; "
        f"think {'model' if args.think is None else f'{args.think} s fixed'}; "
        f"{args.clients} client processes; load average {os.getloadavg()[0]:.1f}"
    )
    client_cpu = sum(r["cpu_s"] for r in results)
    ok = report(results, floor, elapsed, args.workers, slug, capacity, client_cpu)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
