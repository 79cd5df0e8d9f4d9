"""A worker survives the database restarting under it (issue 17, item 6), and `make run`'s pair stops on one Ctrl-C.

PostgreSQL ends every session on a restart ("terminating connection due to
administrator command"). The test starts a PRIVATE PostgreSQL cluster in a
temporary directory on a free port (initdb + pg_ctl, as the postgres user when
run as root), so restarting it disturbs no other test run on the shared server;
it copies the suite's migrated database there, starts `manage.py run_jobs` against it, sees a job
done, restarts the cluster, queues another job and sees that one done by the
same worker process.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_postgres(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.url = f"postgres://kd@127.0.0.1:{port}/kd"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args]),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-o", options, "-l", str(self.folder / "server.log"), "start")

    def client(self, program: str, *args: str) -> list[str]:
        """A client program of the server's (createdb, psql) against this cluster, as its superuser `kd`."""
        return [str(PG_BIN / program), "-h", "127.0.0.1", "-p", str(self.port), "-U", "kd", *args]

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
            return list(conn.execute(sql, params).fetchall())


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed")
    folder = Path(tempfile.mkdtemp(prefix="kd-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port())
    subprocess.run(
        as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(cluster.data),
                "-U",
                "kd",
                "--auth=trust",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cluster.start()
    try:
        subprocess.run(cluster.client("createdb", "kd"), check=True)
        yield cluster
    finally:
        subprocess.run(
            as_postgres(
                [str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


def migrated(cluster: Cluster) -> None:
    """The private cluster's database, migrated: a copy of the suite's migrated template database (tests/dbtemplate.py:
    the same migrations, the same history triggers), or `migrate` when there is none yet. A `migrate` from nothing
    took 22.6 s of one core, beside the other worker's tests; the copy 1.4 s."""
    import psycopg

    from tests.dbtemplate import _pg_names

    db = settings.DATABASES["default"]
    template = _pg_names()[2]
    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"],
        "password": db["PASSWORD"],
    }
    with psycopg.connect(dbname="postgres", **server) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
    if found is None:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=portal_env(cluster.url),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return
    dump = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "--no-owner",
            "--no-privileges",
            "-h",
            server["host"],
            "-p",
            server["port"],
            "-U",
            server["user"],
            template,
        ],
        env={**os.environ, "PGPASSWORD": server["password"]},
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(
        cluster.client("psql", "-q", "-v", "ON_ERROR_STOP=1", "kd"),
        input=dump,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def portal_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DATABASE_URL": url, "TASKS_BACKEND": "database", "JOBS_STALE_SECONDS": "5"}
    return env


ENQUEUE = """
from kedaitong.jobs import job_enqueue
from kedaitong.models import User
from tests.kedaitong import job_tasks
owner, _ = User.objects.get_or_create(username="restart-owner", defaults={"role": "admin"})
print(job_enqueue(owner=owner, task=job_tasks.%s, params=%r).pk)
"""


def enqueue(url: str, task: str, params: dict[str, object]) -> int:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", ENQUEUE % (task, params)],
        cwd=ROOT,
        env=portal_env(url),
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def wait_for_state(cluster: Cluster, job_id: int, state: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    seen = ""
    while time.monotonic() < deadline:
        try:
            seen = str(cluster.query("SELECT state FROM kedaitong_job WHERE id = %s", job_id)[0][0])
        except Exception:  # the server is restarting
            seen = "?"
        if seen == state:
            return seen
        time.sleep(0.2)
    return seen


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="runs with the PostgreSQL suite (CI's last step): its own cluster, about 50 s",
)
def test_a_worker_survives_a_postgresql_restart_and_runs_the_next_job(cluster, tmp_path):
    migrated(cluster)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_jobs",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-schedule",
            "--max-backoff",
            "2",
        ],
        cwd=ROOT,
        env=portal_env(cluster.url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        first = enqueue(cluster.url, "counting_job", {"n": 2})
        assert wait_for_state(cluster, first, "done", 60) == "done"
        # A job in the middle of a long step when the server goes down, for two seconds.
        interrupted = enqueue(cluster.url, "quiet_job", {"seconds": 4})
        assert wait_for_state(cluster, interrupted, "running", 30) == "running"
        cluster.pg_ctl(
            "-m", "fast", "stop"
        )  # "terminating connection due to administrator command"
        time.sleep(2)  # the worker polls five times a second: it meets the server down
        cluster.start()
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        after = enqueue(cluster.url, "counting_job", {"n": 3})
        assert wait_for_state(cluster, after, "done", 60) == "done", (
            tmp_path / "worker.log"
        ).read_text()
        # The interrupted job lost its database, not its owner's work: queued again once stale, then done.
        assert wait_for_state(cluster, interrupted, "done", 90) == "done"
        assert cluster.query("SELECT attempts FROM kedaitong_job WHERE id = %s", interrupted) == [
            (2,)
        ]
        assert worker.poll() is None  # the same process throughout
        output = (tmp_path / "worker.log").read_text()
        assert "database error" in output and "database reachable again" in output, output
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_make_run_serves_with_one_worker_and_one_ctrl_c_stops_both(tmp_path):
    """scripts/run.sh (what `make run` ends with): the server answers, a worker runs; SIGINT to the group ends all."""
    import urllib.error
    import urllib.request

    from tests.kedaitong.test_killed_midway import database_url

    port = free_port()
    # Without the daily schedule: at start-up the worker would run the day's due work, a backup of
    # the suite's database and uploads among it, and the Ctrl-C would wait for that (over 120 s after
    # a full parallel suite). The schedule has its own tests (test_schedule.py).
    env = portal_env(database_url()) | {
        "RUN_ADDRESS": f"127.0.0.1:{port}",
        "PY": sys.executable,
        "RUN_WORKER_ARGS": "--no-schedule",
        "BACKUP_DIR": str(tmp_path / "backups"),
    }
    log = (tmp_path / "run.log").open("w")
    # A session of its own, as a terminal's foreground job is a process group of its own.
    # `env --default-signal`: a terminal's foreground job has Ctrl-C's SIGINT at its default; a suite
    # started in the background of a script (`bash .ci/run &`) hands down SIGINT ignored, which bash
    # cannot trap and Python does not turn into KeyboardInterrupt.
    pair = subprocess.Popen(
        ["env", "--default-signal=INT,QUIT", "bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    group = os.getpgid(pair.pid)
    try:
        deadline = time.monotonic() + 60
        answered = False
        while time.monotonic() < deadline and not answered:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    answered = r.status == 200
            except OSError:
                time.sleep(0.5)
        text = (tmp_path / "run.log").read_text()
        while time.monotonic() < deadline and "queues default" not in text:
            time.sleep(0.5)
            text = (tmp_path / "run.log").read_text()
        assert answered and "queues default" in text, text
        # The demo is served as for real (DEBUG off): an unknown address gets the portal's own 404 page,
        # not Django's list of every URL; the logins are printed once the server answers, with how to stop
        # and reset (issue 18, item 12).
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=5)
            pytest.fail("an unknown address answered 200")
        except urllib.error.HTTPError as missing:
            body = missing.read().decode()
            assert missing.code == 404 and "页面不存在" in body and "URLconf" not in body
        # The logins come from another Django process (load_demo --logins-only): a minute of its own,
        # not what is left of the start-up's (at load 9 the start-up had taken most of that).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "reset-demo" not in text:
            time.sleep(0.5)
            text = (tmp_path / "run.log").read_text()
        assert "DEBUG false" in text and "Ctrl-C stops it" in text and "make reset-demo" in text, (
            text
        )
        assert text.index("Kedaitong is ready") > text.index("Starting development server"), text
        os.killpg(group, signal.SIGINT)  # Ctrl-C
        # One Ctrl-C is enough: the script's trap stops the server and the worker with SIGTERM and, after
        # 10 s, SIGKILL (scripts/run.sh), so a server slow to stop cannot keep the terminal.
        assert pair.wait(timeout=30) == 130, (tmp_path / "run.log").read_text()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            pytest.fail("a process of `make run` outlived the Ctrl-C")
    finally:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()
