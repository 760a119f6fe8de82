"""Messages created per second with 1 and with `REPLICAS` `twilio-acs serve` processes on one
store, on SQLite and on PostgreSQL; what each message costs those processes in CPU, in store
transactions and in new database sessions.

The emulator runs in its own process (`python -m acs_emulator`) and so does each replica, a
real `twilio-acs serve` with its default settings (request threads, pool, poller, webhooks),
started through this module so SQLAlchemy pool listeners can count the database sessions it
opens (``connect``) and the store transactions it runs (``checkout``: each takes a pooled
connection, the background ones included); it writes both counts to a file the benchmark
reads. `CLIENTS` threads here post messages over HTTP into `CONVERSATIONS` conversations,
client ``n`` talking to replica ``n % replicas``, one after another without pause. After a
warm-up that fills every replica's pool, a window of `WINDOW` seconds is timed while every
client keeps sending: a steady rate, so no replica waits idle for another's last clients to
finish. CPU is user + system time from ``/proc/<pid>/stat`` over the window:
of the serve processes, of the PostgreSQL server (its postmaster and backends), of the emulator
and of the clients. "Busy CPUs" is how many CPUs those kept busy together: one replica cannot
use more than one for itself (its interpreter lock), and several share the machine's with
everything else.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import urllib3

from benchmarks.change_feed import _postgres
from benchmarks.report import Row

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "replicas-benchmark-token"
_AUTH = urllib3.make_headers(basic_auth=f"{ACCOUNT_SID}:{AUTH_TOKEN}")
REPLICAS = 3
CLIENTS = 24
CONVERSATIONS = 24
WINDOW = 8.0
"""Seconds of steady sending timed in each run."""
WARM_UP = 4
"""Sends per client thread before the timing starts: pools, tokens and thread clients fill first."""
ROUNDS = 3
POSTGRES = True
QUICK = {
    "REPLICAS": 2,
    "CLIENTS": 4,
    "CONVERSATIONS": 2,
    "WINDOW": 0.5,
    "WARM_UP": 1,
    "ROUNDS": 1,
    "POSTGRES": False,
}
SCALE_GOAL = 1.5
CPU_GOAL = 1.0
START_SECONDS = 120.0
SESSIONS_FILE_ENV = "BENCH_SESSIONS_FILE"
COUNTS_EVERY = 0.05
"""Seconds between a serve process's writes of its counts (a window's counts may lag by that)."""
ROOT = Path(__file__).resolve().parents[1]
NOTES = [
    f"Replicas: messages posted over HTTP for {WINDOW:g} s by {CLIENTS} client threads into "
    f"{CONVERSATIONS} conversations, spread over 1 or {REPLICAS} `twilio-acs serve` processes "
    "on one store, with the emulator in its own process, all on this machine's CPUs; CPU is "
    "the serve processes' user + system time (/proc), sessions and store transactions are "
    "counted by SQLAlchemy pool `connect` and `checkout` listeners in each serve process; timed "
    "after a warm-up, over a window in which every client keeps sending (a steady rate); "
    f"{ROUNDS} runs of each, taken in turn: rates and shares from the fastest, "
    "the PostgreSQL vs SQLite CPU row from the median of all runs of a store.",
]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    """What one store with a number of replicas did over the timed sends."""

    replicas: int
    per_second: float
    cpu_per_message: float
    sessions_per_1000: float
    transactions_per_message: float
    emulator_cpu_per_message: float
    client_cpu_per_message: float
    database_cpu_per_message: float


@dataclass(frozen=True)
class Store:
    """A kind of store: a new, empty one per run, and its server's CPU time (0 for SQLite)."""

    label: str
    fresh: Callable[[], str]
    server_cpu: Callable[[], float]


@dataclass(frozen=True)
class Acs:
    """The emulator process: the settings that reach it, and its pid."""

    settings: dict[str, str]
    pid: int


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _first_line(log: Path, process: subprocess.Popen[bytes], marker: str) -> str:
    """The first line of `log` holding `marker`, waiting for `process` to write it."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if marker in line:
                return line
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{log.name}: the process did not start:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _emulator(folder: Path) -> Iterator[Acs]:
    """`python -m acs_emulator` on a free port."""
    log = folder / "emulator.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "acs_emulator", "--port", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        _first_line(log, process, "ACS_CA_BUNDLE=")
        printed = dict(
            line.split("=", 1) for line in log.read_text().splitlines() if line.startswith("ACS_")
        )
        names = ("ACS_CONNECTION_STRING", "ACS_CA_BUNDLE")
        yield Acs({name: printed[name] for name in names}, process.pid)
    finally:
        _stop(process)


class Replica:
    """One `twilio-acs serve` process that counts the database sessions it opens and the store
    transactions it runs."""

    def __init__(self, env: dict[str, str], folder: Path, name: str) -> None:
        self.sessions_file = folder / f"{name}.sessions"
        self._log = folder / f"{name}.log"
        with self._log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.replicas", "serve", "--port", "0"],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**env, SESSIONS_FILE_ENV: str(self.sessions_file)},
            )
        self.url = ""

    def ready(self) -> Replica:
        self.url = _first_line(self._log, self.process, "listening on").rsplit(" ", 1)[1]
        return self

    def counts(self) -> tuple[int, int]:
        """Database sessions opened and store transactions run so far."""
        try:
            sessions, transactions = self.sessions_file.read_text().split()
        except (FileNotFoundError, ValueError):  # not written yet
            return 0, 0
        return int(sessions), int(transactions)

    def cpu(self) -> float:
        return _cpu_seconds(self.process.pid)


@contextmanager
def _replicas(count: int, env: dict[str, str], folder: Path) -> Iterator[list[Replica]]:
    """`count` replicas; the first alone, so it is the one that brings the store up to date."""
    started: list[Replica] = []
    try:
        started.append(Replica(env, folder, "replica-0").ready())
        started += [Replica(env, folder, f"replica-{n}") for n in range(1, count)]
        for replica in started[1:]:
            replica.ready()
        yield started
    finally:
        for replica in started:
            _stop(replica.process)


def _measure(acs: Acs, store: Store, count: int, folder: Path) -> Run:
    folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "ACS_"))}
    env.update(
        acs.settings,
        PYTHONUNBUFFERED="1",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_COMPAT_STORE=store.fresh(),
        TWILIO_COMPAT_MEDIA=(folder / "media").as_uri(),
    )
    with _replicas(count, env, folder) as replicas, ExitStack() as clients:
        # urllib3 rather than httpx: the clients share the machine's CPUs with what is measured,
        # and this keeps their share small (about half of httpx's per request).
        https = [
            clients.enter_context(urllib3.connection_from_url(replicas[n % count].url, maxsize=1))
            for n in range(CLIENTS)
        ]

        def post(client: int, path: str, fields: dict[str, str]) -> urllib3.BaseHTTPResponse:
            return https[client].request(
                "POST", path, fields=fields, headers=_AUTH, encode_multipart=False
            )

        conversations = [
            post(0, "/v1/Conversations", {"FriendlyName": f"c{n}"}).json()["sid"]
            for n in range(CONVERSATIONS)
        ]

        sent = [0] * CLIENTS
        stop = threading.Event()

        def send(client: int) -> None:
            conversation = conversations[client % CONVERSATIONS]
            while not stop.is_set():
                number = sent[client]
                answer = post(
                    client,
                    f"/v1/Conversations/{conversation}/Messages",
                    {"Author": f"author-{number % 4}", "Body": f"message {number}"},
                )
                if answer.status != 201:
                    raise RuntimeError(f"a send failed: {answer.status} {answer.data!r}")
                sent[client] = number + 1

        with ThreadPoolExecutor(CLIENTS) as pool:
            sending = [pool.submit(send, n) for n in range(CLIENTS)]
            try:
                while min(sent) < WARM_UP and not any(sender.done() for sender in sending):
                    time.sleep(0.01)
                sessions, transactions = _counts(replicas)
                cpu = sum(r.cpu() for r in replicas)
                emulator_cpu, client_cpu = _cpu_seconds(acs.pid), time.process_time()
                database_cpu = store.server_cpu()
                first, started = sum(sent), time.perf_counter()
                time.sleep(WINDOW)
                done, wall = sum(sent) - first, time.perf_counter() - started
                cpu = sum(r.cpu() for r in replicas) - cpu
                emulator_cpu = _cpu_seconds(acs.pid) - emulator_cpu
                client_cpu = time.process_time() - client_cpu
                database_cpu = store.server_cpu() - database_cpu
                sessions_now, transactions_now = _counts(replicas)
            finally:
                stop.set()
            for sender in sending:
                sender.result()
        return Run(
            replicas=count,
            per_second=done / wall,
            cpu_per_message=cpu / done,
            sessions_per_1000=(sessions_now - sessions) * 1000 / done,
            transactions_per_message=(transactions_now - transactions) / done,
            emulator_cpu_per_message=emulator_cpu / done,
            client_cpu_per_message=client_cpu / done,
            database_cpu_per_message=database_cpu / done,
        )


def _counts(replicas: list[Replica]) -> tuple[int, int]:
    """Sessions opened and store transactions run so far, summed over the replicas."""
    counted = [replica.counts() for replica in replicas]
    return sum(sessions for sessions, _ in counted), sum(runs for _, runs in counted)


@dataclass(frozen=True)
class Runs:
    """A store's runs: the fastest with 1 replica and with `REPLICAS`, and every run."""

    one: Run
    many: Run
    every: list[Run]

    @property
    def fastest(self) -> tuple[Run, Run]:
        return self.one, self.many


def _runs(acs: Acs, stores: list[Store], folder: Path) -> list[Runs]:
    """`ROUNDS` runs of each store with 1 replica and with `REPLICAS`, taken in turn (each round
    runs every store and count) so a passing load on the machine weighs on all alike."""
    runs: list[dict[int, list[Run]]] = [{1: [], REPLICAS: []} for _ in stores]
    for round_ in range(ROUNDS):
        for store, by_count in zip(stores, runs, strict=True):
            for count, done in by_count.items():
                done.append(_measure(acs, store, count, folder / store.label / f"{count}-{round_}"))
    found: list[Runs] = []
    for by_count in runs:
        one, many = (max(done, key=lambda run: run.per_second) for done in by_count.values())
        found.append(Runs(one, many, [run for done in by_count.values() for run in done]))
    return found


def _sqlite(folder: Path) -> Store:
    files = iter(range(1_000_000))
    return Store(
        "SQLite", lambda: f"sqlite:///{folder / f'store-{next(files)}.sqlite3'}", lambda: 0.0
    )


def _server_cpu_seconds(postmaster: int) -> float:
    """CPU time of a PostgreSQL server: the postmaster, its reaped backends and its live ones."""
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(field) for field in fields[11:15]) / _CLOCK_TICKS
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended
            continue
        if int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return total


@contextmanager
def _postgres_store() -> Iterator[Store | None]:
    """New, empty databases on a throwaway PostgreSQL server, or None without one."""
    with _postgres() as url:
        if url is None:
            yield None
            return
        import psycopg

        admin = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as connection:
            found = connection.execute("SHOW data_directory").fetchone()
        assert found is not None
        postmaster = int((Path(found[0]) / "postmaster.pid").read_text().split()[0])

        def fresh() -> str:
            name = f"replicas_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            return url.rsplit("/", 1)[0] + f"/{name}"

        yield Store("PostgreSQL", fresh, lambda: _server_cpu_seconds(postmaster))


def _busy_cpus(run: Run) -> float:
    """How many CPUs the serve processes, database server, emulator and clients kept busy."""
    per_message = (
        run.cpu_per_message
        + run.database_cpu_per_message
        + run.emulator_cpu_per_message
        + run.client_cpu_per_message
    )
    return run.per_second * per_message


def _scaling(label: str, one: Run, many: Run, goal: float | None) -> Row:
    ratio = many.per_second / one.per_second
    return Row(
        f"{REPLICAS} replicas vs 1, {label} (messages created per second over HTTP)",
        f"{ratio:.2f}x ({one.per_second:.0f} -> {many.per_second:.0f} msg/s; "
        f"busy CPUs {_busy_cpus(one):.2f} -> {_busy_cpus(many):.2f} of {os.cpu_count()})",
        f">= {goal}x" if goal is not None else None,
        goal is None or ratio >= goal,
    )


def _ceiling(label: str, one: Run, many: Run) -> Row:
    """How close the replicas came to what the machine allows: every process's CPU per
    message (serve, database, emulator, clients) spread over all its CPUs. One replica is held
    to one CPU by its interpreter lock, so the most any number of replicas can gain over it
    here is that bound over one replica's rate."""
    cpus = os.cpu_count() or 1
    bound = cpus / (_busy_cpus(many) / many.per_second)
    return Row(
        f"{label}: {REPLICAS} replicas vs this machine's bound ({cpus} CPUs over all the "
        "processes' CPU per message); the most replicas could gain over 1 here",
        f"{many.per_second / bound:.0%} of {bound:.0f} msg/s; {bound / one.per_second:.2f}x",
    )


def _sessions(label: str, one: Run, many: Run) -> Row:
    return Row(
        f"{label}: database sessions opened per 1,000 messages, 1 / {REPLICAS} replicas",
        f"{one.sessions_per_1000:.0f} / {many.sessions_per_1000:.0f}",
    )


def _transactions(label: str, one: Run, many: Run) -> Row:
    return Row(
        f"{label}: store transactions per message (the serve processes' pool checkouts, "
        f"background work included), 1 / {REPLICAS} replicas",
        f"{one.transactions_per_message:.2f} / {many.transactions_per_message:.2f}",
    )


def _cpu_shares(label: str, one: Run, many: Run) -> Row:
    def shares(run: Run) -> str:
        return " / ".join(
            f"{seconds * 1000:.1f}"
            for seconds in (
                run.cpu_per_message,
                run.database_cpu_per_message,
                run.emulator_cpu_per_message,
                run.client_cpu_per_message,
            )
        )

    return Row(
        f"{label}: CPU ms per message, serve / database server / emulator / HTTP clients, "
        f"1 replica; {REPLICAS} replicas",
        f"{shares(one)}; {shares(many)}",
    )


def _cpu(runs: Runs) -> float:
    """CPU seconds per message of the serve processes: the median over every run of a store
    (one figure per run, whatever its replica count), so one run slowed by the machine's other
    work does not decide it."""
    return statistics.median(run.cpu_per_message for run in runs.every)


def run() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as name:
        folder = Path(name)
        postgres_server = _postgres_store() if POSTGRES else nullcontext(None)
        with _emulator(folder) as acs, postgres_server as postgres_store:
            stores = [_sqlite(folder)]
            if postgres_store is not None:
                stores.append(postgres_store)
            measured = _runs(acs, stores, folder)
    sqlite = measured[0]
    rows = _store_rows("SQLite", sqlite, None)
    if not POSTGRES:
        return rows
    if len(measured) < 2:
        return [*rows, Row("replicas on PostgreSQL", "skipped: no initdb/pg_ctl here")]
    postgres = measured[1]
    ratio = _cpu(postgres) / _cpu(sqlite)
    return [
        *rows,
        *_store_rows("PostgreSQL", postgres, SCALE_GOAL),
        Row(
            "CPU per message of the serve processes, PostgreSQL vs SQLite (median of all runs)",
            f"{ratio:.2f}x ({_cpu(postgres) * 1000:.1f} vs {_cpu(sqlite) * 1000:.1f} ms)",
            f"<= {CPU_GOAL:.0f}x",
            ratio <= CPU_GOAL,
        ),
    ]


def _store_rows(label: str, runs: Runs, goal: float | None) -> list[Row]:
    return [
        _scaling(label, *runs.fastest, goal),
        _ceiling(label, *runs.fastest),
        _sessions(label, *runs.fastest),
        _transactions(label, *runs.fastest),
        _cpu_shares(label, *runs.fastest),
    ]


def _serve_counting_sessions() -> None:
    """`twilio-acs serve ...`, writing to $BENCH_SESSIONS_FILE every `COUNTS_EVERY` seconds how
    many database sessions it has opened and store transactions it has run (listeners on every
    SQLAlchemy pool's ``connect`` and ``checkout``)."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    from twilio_compat.cli import main

    counter = Path(os.environ[SESSIONS_FILE_ENV])
    counts = {"connect": 0, "checkout": 0}
    lock = threading.Lock()

    def counting(name: str) -> Callable[..., None]:
        def count(*_: object) -> None:
            with lock:
                counts[name] += 1

        return count

    def write() -> None:
        staged = counter.with_suffix(".next")
        while True:
            with lock:
                text = f"{counts['connect']} {counts['checkout']}"
            staged.write_text(text)
            staged.replace(counter)  # so the benchmark never reads a half-written file
            time.sleep(COUNTS_EVERY)

    for name in counts:
        event.listen(Pool, name, counting(name))
    threading.Thread(target=write, name="bench-counts", daemon=True).start()
    sys.argv = ["twilio-acs", *sys.argv[1:]]
    main()


if __name__ == "__main__":
    _serve_counting_sessions()
