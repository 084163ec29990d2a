"""A real Celery worker for tests, against the real Redis broker and the test database.

Tests run Celery tasks in-process by default (``celery_eager_by_default``), so most
tests need neither Redis nor a worker. A test that asks for ``celery_worker_process``
gets a ``celery -A hubportal worker`` subprocess of its own instead, and the tasks that
test queues are really sent through Redis to that worker, which loads its rows from
the same PostgreSQL test database and writes mail as files into a folder of the test's
own. Both fixtures are registered by importing them in ``tests/conftest.py``.

A test that needs a worker set up differently (two pool processes, or settings of its
own such as ``NOTICE_SENDING_TIMEOUT`` or ``EMAIL_URL``) passes ``concurrency`` and
``extra_env`` to the fixture by indirect parametrization, or, when a value is known
only inside the test (the port of a mail server it started), uses
``running_celery_worker`` itself.

The worker runs in another process and so sees only committed rows: the fixture
requires ``transactional_db`` (mark such tests ``django_db(transaction=True)`` to say
so), plus the ``redis`` and ``postgres`` marks so that they skip without those.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# Django's file mail backend ends every message with this line.
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


class WorkerError(RuntimeError):
    """The worker did not start, answer or stop as expected; carries its log's tail."""


def worker_database_url(settings_dict: dict) -> str:
    """A DATABASE_URL naming the database this test process is connected to."""
    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        # SQLite's test database lives in this process's memory: no other process can see it.
        raise WorkerError(f"the worker needs PostgreSQL, not {settings_dict['ENGINE']}")
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def read_mail_dir(mail_dir: Path) -> list[EmailMessage]:
    """Every complete message Django's file backend has written into ``mail_dir``,
    oldest file first. A message still being written (no closing separator yet) is
    left out."""
    messages = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: (p.stat().st_mtime, p.name)):
        *complete, _unfinished = path.read_bytes().split(MAIL_SEPARATOR)
        for raw in complete:
            messages.append(email.message_from_bytes(raw, policy=email.policy.default))
    return messages


def message_text(message: EmailMessage) -> str:
    """The plain-text body of a message (or its HTML one when it has no plain text)."""
    body = message.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body is not None else ""


class CeleryWorker:
    """One ``celery -A hubportal worker`` subprocess consuming a queue of its own.

    ``concurrency`` is the number of pool processes; ``extra_env`` is laid over the
    worker's environment last, so it can override any of it (a test may change it
    before ``kill()`` or ``start()`` to give the next worker other settings)."""

    def __init__(
        self,
        *,
        app,
        database_url: str,
        broker_url: str,
        site_url: str,
        workdir: Path,
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.database_url = database_url
        self.broker_url = broker_url
        self.site_url = site_url
        self.concurrency = concurrency
        self.extra_env = dict(extra_env or {})
        unique = uuid.uuid4().hex[:12]
        # A queue and node name of this worker's own: a worker of another test run on the
        # same Redis never takes these messages, and pings reach only this worker.
        self.queue = f"hubportal-test-{unique}"
        self.nodename = f"test-{unique}@hubportal"
        self.mail_dir = workdir / "mail"
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "worker.log"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        if self.process is None:
            raise WorkerError("the worker is not running")
        return self.process.pid

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="hubportal.settings",
            DATABASE_URL=self.database_url,
            CONN_MAX_AGE="0",
            REDIS_URL=self.broker_url,
            # Tasks the worker queues itself (a dispatch queues sends) stay on its queue.
            CELERY_TASK_DEFAULT_QUEUE=self.queue,
            EMAIL_URL="filemail://",
            MAIL_DIR=str(self.mail_dir),
            SITE_URL=self.site_url,
            # DEBUG on keeps static and the secret key at their laptop defaults; the
            # worker's behaviour under test (tasks, services, mail) does not depend on it.
            DEBUG="true",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hubportal",
            "worker",
            "--queues",
            self.queue,
            "--hostname",
            self.nodename,
            "--concurrency",
            str(self.concurrency),
            "--loglevel",
            "INFO",
            # Nothing to synchronise with: this worker is alone on its queue.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def start(self) -> None:
        """Start the worker and return once it answers a ping."""
        if self.process is not None and self.process.poll() is None:
            raise WorkerError("the worker is already running")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=BASE_DIR,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so kill() reaches the pool's child processes too.
                start_new_session=True,
            )
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise WorkerError(
                    f"the worker exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if self.ping():
                return
        self.kill(restart=False)
        raise WorkerError(f"the worker did not answer a ping in {timeout:.0f}s:\n{self.log_tail()}")

    def ping(self, timeout: float = 1.0) -> bool:
        # limit=1: return as soon as this one worker replies rather than after the timeout.
        replies = self.app.control.ping(destination=[self.nodename], timeout=timeout, limit=1)
        return any(self.nodename in reply for reply in replies)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM: finish the task in hand); SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill_group()

    def kill(self, *, restart: bool = True) -> None:
        """SIGKILL the worker and its pool children mid-whatever, as a crash would;
        then, unless told not to, start a fresh worker on the same queue."""
        if self.process is not None and self.process.poll() is None:
            self._kill_group()
        if restart:
            self.start()

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def messages(self) -> list[EmailMessage]:
        return read_mail_dir(self.mail_dir)

    def wait_for_mail(
        self, count: int = 1, *, timeout: float = 20.0, settle: float = 1.0
    ) -> list[EmailMessage]:
        """Wait until the worker has written at least ``count`` messages, then ``settle``
        seconds more so that an unwanted extra message shows up too; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.messages()) < count:
            if self.process.poll() is not None:
                raise WorkerError(
                    f"the worker exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise WorkerError(
                    f"{len(self.messages())} of {count} messages in {timeout:.0f}s:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.2)
        time.sleep(settle)
        return self.messages()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no worker log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(autouse=True)
def celery_eager_by_default(settings):
    """Every test runs tasks in-process unless it asks for a real worker, whether or
    not REDIS_URL is set for the run."""
    from hubportal.celery import app

    was_eager = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = was_eager


@pytest.fixture
def celery_worker_process(request, transactional_db, settings, tmp_path) -> Iterator[CeleryWorker]:
    """A real worker on a queue of its own; this test's tasks are sent to it through Redis.

    Yields the ``CeleryWorker`` (``mail_dir``, ``wait_for_mail()``, ``kill()``) and stops
    the worker afterwards, before the test database is emptied. Options for the worker
    come by indirect parametrization, e.g.
    ``@pytest.mark.parametrize("celery_worker_process", [{"concurrency": 2}], indirect=True)``.
    """
    options = getattr(request, "param", None) or {}
    with running_celery_worker(settings, tmp_path / "celery-worker", **options) as worker:
        yield worker


@contextlib.contextmanager
def running_celery_worker(
    settings, workdir: Path, *, concurrency: int = 1, extra_env: dict[str, str] | None = None
) -> Iterator[CeleryWorker]:
    """What ``celery_worker_process`` does, for a test that knows how to set the worker
    up only once it runs. ``settings`` is pytest-django's fixture; like the fixture, it
    needs ``transactional_db``."""
    from django.db import connection

    from hubportal.celery import app

    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL (CI always does)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI always does)")

    worker = CeleryWorker(
        app=app,
        database_url=worker_database_url(connection.settings_dict),
        broker_url=app.conf.broker_url,
        site_url=settings.SITE_URL,
        workdir=workdir,
        concurrency=concurrency,
        extra_env=extra_env,
    )
    # The producer side: this test's tasks go through the broker to this worker's queue.
    was_eager = app.conf.task_always_eager
    was_queue = app.conf.task_default_queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.task_default_queue = worker.queue
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        app.conf.task_always_eager = was_eager
        app.conf.task_default_queue = was_queue
