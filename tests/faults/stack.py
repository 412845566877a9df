"""Disposable servers for the fault tests: a PostgreSQL cluster and a Redis of our own,
and the production processes (gunicorn, Celery worker, Celery beat) against them.

Nothing here touches the machine's shared PostgreSQL or Redis: faults are injected by
stopping or killing exactly the processes these helpers started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing, suppress
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("HELPDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))
PYTHON = sys.executable
AS_ROOT = os.geteuid() == 0
# Waits are multiplied by this on a loaded machine (CI shares its cores).
PATIENCE = float(os.environ.get("HELPDESK_FAULTS_PATIENCE", "2"))


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float = 30.0, what: str = "condition", step: float = 0.1):
    """Poll until `predicate()` is truthy (returns it); fail after `timeout` seconds (times
    PATIENCE)."""
    timeout *= PATIENCE
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # the thing polled may be down: keep polling
            last_error = exc
            value = None
        if value:
            return value
        pause.wait(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} ({last_error!r})")


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if AS_ROOT else cmd


class PgCluster:
    """A PostgreSQL cluster in a temporary directory, on its own port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="helpdesk-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        if AS_ROOT:
            shutil.chown(self.dir, "postgres")
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--no-sync"]
            ),
            check=True, capture_output=True,
        )  # fmt: skip

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]),
            check=check, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._ctl("-o", options, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def connect(self, db: str, **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=db, connect_timeout=3,
            **kwargs,
        )  # fmt: skip

    def bin(self, name: str) -> str:
        return str(PG_BIN / name)


class RedisServer:
    """A redis-server without persistence on its own port; stop() kills it (SIGKILL)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.ping, timeout=10, what="redis to answer")

    def ping(self) -> bool:
        try:
            with closing(socket.create_connection(("127.0.0.1", self.port), timeout=0.5)) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Proc:
    """One child process of the stack (gunicorn, worker, beat) with its log file."""

    def __init__(self, name: str, cmd: list[str], env: dict, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}-{int(time.monotonic() * 1000)}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the process only (its children are handled by the caller)."""
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self) -> None:
        """Terminate the whole process group (the process and any pool children)."""
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
        with suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]


class Stack:
    """Our own PostgreSQL and Redis, a migrated database and process launchers."""

    DB = "helpdesk_faults"

    def __init__(self) -> None:
        self.pg = PgCluster()
        self.redis = RedisServer()
        self.dir = Path(tempfile.mkdtemp(prefix="helpdesk-faults-"))
        self.queue = f"faults-{os.getpid()}"
        self.procs: list[Proc] = []

    # -- lifecycle --------------------------------------------------------------------
    def up(self) -> Stack:
        self.pg.start()
        self.redis.start()
        with self.pg.connect("postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.DB}"')
        self.manage("migrate", "--noinput", timeout=300)
        return self

    def down(self) -> None:
        for proc in self.procs:
            proc.stop()
        self.redis.stop()
        self.pg.destroy()
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self, **extra: str) -> dict:
        env = {
            **os.environ,
            "DATABASE_URL": self.pg.url(self.DB),
            "REDIS_URL": self.redis.url(0),
            "SECRET_KEY": "faults-" + "k" * 50,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "HELPDESK_TICKER": "0",
            "HELPDESK_VAR_DIR": str(self.dir / "var"),
            "MEDIA_ROOT": str(self.dir / "media"),
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.update(extra)
        return env

    # -- one-off commands -----------------------------------------------------------------
    def manage(self, *args: str, timeout: float = 120, env: dict | None = None) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env or self.env(),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def django(self, code: str, **extra_env: str):
        """Run Python in a Django shell against the stack; the code sets `result` (JSON)."""
        script = "import json\nresult = None\n" + code + "\nprint('@@' + json.dumps(result))"
        out = self.manage("shell", "-c", script, env=self.env(**extra_env))
        return json.loads(out.rsplit("@@", 1)[1])

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with self.pg.connect(self.DB, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def scalar(self, query: str, params: tuple = ()):
        return self.sql(query, params)[0][0]

    # -- long-running processes -----------------------------------------------------------
    def spawn(self, name: str, cmd: list[str], **extra_env: str) -> Proc:
        proc = Proc(name, cmd, self.env(**extra_env), self.dir)
        self.procs.append(proc)
        return proc

    def web(self, workers: int = 2, **extra_env: str) -> tuple[Proc, str]:
        port = free_port()
        proc = self.spawn(
            "web",
            [PYTHON, "-m", "gunicorn", "helpdesk.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--timeout", "60", "--graceful-timeout", "5",
             "--no-control-socket"],
            **extra_env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: httpx.get(base + "/livez", timeout=2).status_code == 200,
            timeout=60,
            what="gunicorn to answer",
        )
        return proc, base

    def worker(self, *, pool: str = "solo", concurrency: int = 1, **extra_env: str) -> Proc:
        proc = self.spawn(
            "worker",
            [PYTHON, "-m", "celery", "-A", "helpdesk", "worker", f"--pool={pool}",
             f"--concurrency={concurrency}", "--loglevel=info", "-Q", self.queue,
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            **extra_env,
        )  # fmt: skip
        wait_for(lambda: "ready." in proc.log() or not proc.alive(), timeout=60, what="worker")
        assert proc.alive(), proc.log()
        return proc

    def beat(self, **intervals: str) -> Proc:
        return self.spawn(
            "beat",
            [PYTHON, "-m", "celery", "-A", "helpdesk", "beat", "--loglevel=info",
             "--schedule", str(self.dir / f"beat-{time.monotonic_ns()}")],
            **intervals,
        )  # fmt: skip

    def send_task(self, name: str, **kwargs) -> None:
        """Publish a task by name to the stack's queue (as beat or the web would)."""
        self.django(
            "from helpdesk.celery import app\n"
            f"app.send_task({name!r}, kwargs={kwargs!r}, queue={self.queue!r})"
        )
