"""Messages created per second with 1 and with `REPLICAS` `twilio-acs serve` processes on one
store, on SQLite and on PostgreSQL; what each message costs those processes in CPU, in store
transactions and in new database sessions.

The emulator runs in its own process (`python -m acs_emulator`) and so does each replica, a
real `twilio-acs serve` with its default settings (request threads, pool, poller, webhooks),
started through this module so SQLAlchemy pool listeners can count the database sessions it
opens (``connect``) and the store transactions it runs (``checkout``: each takes a pooled
connection, the background ones included); it writes both counts to a file the benchmark
reads. `CLIENTS` clients here (one event loop, a kept-alive connection each) post messages over
HTTP into `CONVERSATIONS` conversations, client ``n`` talking to replica ``n % replicas``, one
after another without pause. After a warm-up that fills every replica's pool, a window of
`WINDOW` seconds is timed while every client keeps sending: a steady rate, so no replica waits
idle for another's last clients to finish. Each of `ROUNDS` rounds runs 1 and `REPLICAS`
replicas back to back on each store (the stores in the reverse order every other round); a
store's figures come from its median round, and PostgreSQL's CPU per message is compared with
SQLite's run by run within a round.
CPU is user + system time from ``/proc/<pid>/stat`` over the window:
of the serve processes, of the PostgreSQL server (its postmaster and backends), of the emulator
and of the clients. "Busy CPUs" is how many CPUs those kept busy together: one replica cannot
use more than one for itself (its interpreter lock), and several share the machine's with
everything else.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httptools

from benchmarks.change_feed import _postgres
from benchmarks.report import Row

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "replicas-benchmark-token"
_AUTHORIZATION = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
REPLICAS = 3
CLIENTS = 24
CONVERSATIONS = 24
WINDOW = 8.0
"""Seconds of steady sending timed in each run."""
WARM_UP = 4
"""Sends per client before the timing starts: pools, tokens and thread clients fill first."""
ROUNDS = 5
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
    f"Replicas: messages posted over HTTP for {WINDOW:g} s by {CLIENTS} clients into "
    f"{CONVERSATIONS} conversations, spread over 1 or {REPLICAS} `twilio-acs serve` processes "
    "on one store, with the emulator in its own process, all on this machine's CPUs; CPU is "
    "the serve processes' user + system time (/proc), sessions and store transactions are "
    "counted by SQLAlchemy pool `connect` and `checkout` listeners in each serve process; timed "
    "after a warm-up, over a window in which every client keeps sending (a steady rate); "
    f"{ROUNDS} rounds, each running every store with 1 and with {REPLICAS} replicas in turn; "
    "every other round takes the stores in the reverse order; a store's rows come from its "
    "median round (by the gain from the replicas), the PostgreSQL vs SQLite CPU row from the "
    "median of each PostgreSQL run's CPU per message over that of the SQLite run of its round "
    "with as many replicas. The clients share "
    "one event loop and parse answers with httptools, so they take little of the CPUs.",
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


class _Client(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection that posts forms one at a time, its answers parsed by
    httptools (C). The clients share the machine's CPUs with what is measured; this keeps their
    share to a small part of what urllib3's or aiohttp's per-request work costs."""

    def __init__(self, netloc: str) -> None:
        self._head = (
            f"Host: {netloc}\r\nAuthorization: {_AUTHORIZATION}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        ).encode()
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._body: list[bytes] = []
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None

    @classmethod
    async def connect(cls, url: str) -> _Client:
        parts = urllib.parse.urlsplit(url)
        loop = asyncio.get_running_loop()
        assert parts.hostname is not None and parts.port is not None
        _, client = await loop.create_connection(
            lambda: cls(parts.netloc), parts.hostname, parts.port
        )
        return client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((self._parser.get_status_code(), b"".join(self._body)))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(ConnectionError(f"the connection closed: {exc}"))

    async def post(self, path: str, fields: dict[str, str]) -> dict[str, object]:
        """The JSON answer to a form posted to `path`; anything but 201 raises."""
        assert self._transport is not None
        body = urllib.parse.urlencode(fields).encode()
        self._body = []
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
            % (path.encode(), self._head, len(body), body)
        )
        status, answer = await self._answer
        if status != 201:
            raise RuntimeError(f"{path}: {status} {answer!r}")
        found: dict[str, object] = json.loads(answer)
        return found

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


@dataclass(frozen=True)
class _Reading:
    """The counters a run's figures come from, read at one instant."""

    sessions: int
    transactions: int
    serve_cpu: float
    emulator_cpu: float
    client_cpu: float
    database_cpu: float


def _read(replicas: list[Replica], acs: Acs, store: Store) -> _Reading:
    sessions, transactions = _counts(replicas)
    return _Reading(
        sessions,
        transactions,
        sum(replica.cpu() for replica in replicas),
        _cpu_seconds(acs.pid),
        time.process_time(),
        store.server_cpu(),
    )


async def _send_steadily(
    urls: list[str], read: Callable[[], _Reading]
) -> tuple[int, float, _Reading, _Reading]:
    """`CLIENTS` clients, client ``n`` on ``urls[n % len(urls)]`` over one kept-alive connection,
    each posting messages one after another; after the warm-up, how many were created in a
    `WINDOW` of seconds, how long it took, and the readings either side of it. One event loop
    drives every client."""
    clients = [await _Client.connect(urls[n % len(urls)]) for n in range(CLIENTS)]
    try:
        conversations = [
            (await clients[0].post("/v1/Conversations", {"FriendlyName": f"c{n}"}))["sid"]
            for n in range(CONVERSATIONS)
        ]
        sent = [0] * CLIENTS
        stop = asyncio.Event()

        async def send(client: int) -> None:
            path = f"/v1/Conversations/{conversations[client % CONVERSATIONS]}/Messages"
            while not stop.is_set():
                number = sent[client]
                await clients[client].post(
                    path, {"Author": f"author-{number % 4}", "Body": f"message {number}"}
                )
                sent[client] = number + 1

        sending = [asyncio.create_task(send(n)) for n in range(CLIENTS)]
        try:
            while min(sent) < WARM_UP and not any(task.done() for task in sending):
                await asyncio.sleep(0.01)
            before, first, started = read(), sum(sent), time.perf_counter()
            await asyncio.sleep(WINDOW)
            done, wall = sum(sent) - first, time.perf_counter() - started
            after = read()
        finally:
            stop.set()
            await asyncio.gather(*sending)  # a failed send raises here
    finally:
        for client in clients:
            client.close()
    return done, wall, before, after


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
    with _replicas(count, env, folder) as replicas:
        done, wall, before, after = asyncio.run(
            _send_steadily(
                [replica.url for replica in replicas], lambda: _read(replicas, acs, store)
            )
        )
    return Run(
        replicas=count,
        per_second=done / wall,
        cpu_per_message=(after.serve_cpu - before.serve_cpu) / done,
        sessions_per_1000=(after.sessions - before.sessions) * 1000 / done,
        transactions_per_message=(after.transactions - before.transactions) / done,
        emulator_cpu_per_message=(after.emulator_cpu - before.emulator_cpu) / done,
        client_cpu_per_message=(after.client_cpu - before.client_cpu) / done,
        database_cpu_per_message=(after.database_cpu - before.database_cpu) / done,
    )


def _counts(replicas: list[Replica]) -> tuple[int, int]:
    """Sessions opened and store transactions run so far, summed over the replicas."""
    counted = [replica.counts() for replica in replicas]
    return sum(sessions for sessions, _ in counted), sum(runs for _, runs in counted)


@dataclass(frozen=True)
class Runs:
    """A store's rounds: in each, a run with 1 replica and one with `REPLICAS`, back to back."""

    rounds: list[tuple[Run, Run]]

    @property
    def median(self) -> tuple[Run, Run]:
        """The round whose gain from the replicas is the median of the rounds' gains: the two
        runs of a round shared the machine's state, so their ratio is steadier than the
        ratio of runs from different moments."""
        ranked = sorted(self.rounds, key=lambda pair: pair[1].per_second / pair[0].per_second)
        return ranked[(len(ranked) - 1) // 2]

    @property
    def every(self) -> list[Run]:
        return [run for pair in self.rounds for run in pair]


def _runs(acs: Acs, stores: list[Store], folder: Path) -> list[Runs]:
    """`ROUNDS` rounds, each running every store with 1 replica and with `REPLICAS` in turn, so
    a passing load on the machine weighs on all alike; every other round takes the stores in
    the reverse order, so neither always runs later than the other."""
    rounds: list[list[tuple[Run, Run]]] = [[] for _ in stores]
    for round_ in range(ROUNDS):
        order = list(zip(stores, rounds, strict=True))
        for store, done in order if round_ % 2 == 0 else reversed(order):
            runs = [
                _measure(acs, store, count, folder / store.label / f"{count}-{round_}")
                for count in (1, REPLICAS)
            ]
            done.append((runs[0], runs[1]))
    return [Runs(done) for done in rounds]


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


def _scaling(label: str, runs: Runs, goal: float | None) -> Row:
    one, many = runs.median
    ratio = many.per_second / one.per_second
    gains = sorted(b.per_second / a.per_second for a, b in runs.rounds)
    spread = f"; rounds {gains[0]:.2f}x-{gains[-1]:.2f}x" if len(gains) > 1 else ""
    return Row(
        f"{REPLICAS} replicas vs 1, {label} (messages created per second over HTTP; the "
        "median round)",
        f"{ratio:.2f}x ({one.per_second:.0f} -> {many.per_second:.0f} msg/s; "
        f"busy CPUs {_busy_cpus(one):.2f} -> {_busy_cpus(many):.2f} of {os.cpu_count()}"
        f"{spread})",
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
    (one figure per run, whatever its replica count)."""
    return statistics.median(run.cpu_per_message for run in runs.every)


def _cpu_ratios(postgres: Runs, sqlite: Runs) -> list[float]:
    """PostgreSQL's serve CPU per message over SQLite's, run by run, from least to most: each
    PostgreSQL run against the SQLite run of its round with as many replicas. Two runs of one
    round shared the machine's state, so their ratio is steadier than one of runs from
    different moments of a machine whose speed drifts."""
    return sorted(
        ours.cpu_per_message / theirs.cpu_per_message
        for ours_round, theirs_round in zip(postgres.rounds, sqlite.rounds, strict=True)
        for ours, theirs in zip(ours_round, theirs_round, strict=True)
    )


def _cpu_row(postgres: Runs, sqlite: Runs) -> Row:
    ratios = _cpu_ratios(postgres, sqlite)
    ratio = statistics.median(ratios)
    return Row(
        "CPU per message of the serve processes, PostgreSQL vs SQLite (median over the runs "
        "of each against the SQLite run of its round with as many replicas)",
        f"{ratio:.2f}x ({len(ratios)} pairs, {ratios[0]:.2f}x-{ratios[-1]:.2f}x; medians of "
        f"all runs {_cpu(postgres) * 1000:.1f} vs {_cpu(sqlite) * 1000:.1f} ms)",
        f"<= {CPU_GOAL:.0f}x",
        ratio <= CPU_GOAL,
    )


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
    return [*rows, *_store_rows("PostgreSQL", postgres, SCALE_GOAL), _cpu_row(postgres, sqlite)]


def _store_rows(label: str, runs: Runs, goal: float | None) -> list[Row]:
    return [
        _scaling(label, runs, goal),
        _ceiling(label, *runs.median),
        _sessions(label, *runs.median),
        _transactions(label, *runs.median),
        _cpu_shares(label, *runs.median),
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
