"""The notice ledger under faults, on a real Celery worker with the real Redis and
PostgreSQL: two sweeps at once, a mail server that refuses and then accepts, and a
worker killed in the middle of 500 sends. Each test ends the same way: every notice
that was due is in the mail exactly once (as many messages as notices, one per
Message-ID) and every notice row says sent."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socketserver
import threading
import time
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from django.utils import timezone

from hubportal.notices import services, tasks
from hubportal.notices.models import Notice, NoticeState
from hubportal.notices.services import Plan, Recipient
from tests.celery_worker import MAIL_SEPARATOR, running_celery_worker
from tests.factories import (
    AcceptedApplicationFactory,
    MeetingFactory,
    SchoolFactory,
    group_with_schools,
)
from workgroups.models import Participant

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def plan_application_notices(schools, recipients_each: int, tag: str) -> list[Notice]:
    """One accepted application per school, and its decision notice planned to
    ``recipients_each`` people: bulk rows, as a sweep would insert them."""
    plans = []
    for number, school in enumerate(schools):
        application = AcceptedApplicationFactory(school=school, participants=0)
        people = [
            Recipient(f"{tag}{number}-{n}@school.example", f"Teacher {n}")
            for n in range(recipients_each)
        ]
        plans.append(
            Plan(
                kind="application",
                subject_type="application",
                subject_id=application.pk,
                occasion="accept",
                recipients=people,
                hub_id=application.hub_id,
                school_id=application.school_id,
            )
        )
    services.notice_plan(plans)
    return list(Notice.objects.order_by("pk"))


def wait_until(condition, *, worker, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            states = sorted(Notice.objects.values_list("state", flat=True))
            raise AssertionError(f"{what} not within {timeout:.0f}s: {states}\n{worker.log_tail()}")
        time.sleep(0.2)


def assert_each_sent_once(messages: list[EmailMessage], notices: list[Notice]) -> None:
    """Every due notice in the mail exactly once, none lost."""
    expected = {n.message_id for n in notices}
    ids = [m["Message-ID"] for m in messages]
    assert len(ids) == len(expected), f"{len(ids)} messages for {len(expected)} notices"
    assert set(ids) == expected
    assert set(Notice.objects.values_list("state", flat=True)) == {NoticeState.SENT}
    assert Notice.objects.count() == len(expected)


# --- a. the same sweep twice at once ---------------------------------------------------


SWEEP_DONE = re.compile(
    r"\[(?P<at>[\d-]+ [\d:,]+): INFO/(?P<process>ForkPoolWorker-\d+)\] Task "
    r"hubportal\.notices\.tasks\.sweep_meetings\[[^\]]+\] succeeded in "
    r"(?P<took>[\d.]+)s: (?P<offered>\d+)"
)


def sweeps_run(log: str) -> list[tuple[str, datetime, datetime, int]]:
    """(pool process, start, end, notices offered) of each sweep, from the worker's log."""
    found = []
    for match in SWEEP_DONE.finditer(log):
        end = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f")
        start = end - timedelta(seconds=float(match["took"]))
        found.append((match["process"], start, end, int(match["offered"])))
    return found


@pytest.mark.parametrize(
    "celery_worker_process", [pytest.param({"concurrency": 2}, id="2-processes")], indirect=True
)
def test_the_same_sweep_twice_at_once_sends_each_reminder_once(
    celery_worker_process, hub, specialist
):
    in_three_days = timezone.localdate() + timedelta(days=3)
    groups = [group_with_schools(hub, schools=7, lead=specialist) for _ in range(2)]
    for group in groups:
        MeetingFactory(work_group=group, date=in_three_days)
    participants = Participant.objects.filter(application__group_member__work_group__in=groups)
    due = participants.count() + len(groups)  # and the specialist, once per meeting
    assert due == 2 * 7 * 2 + 2

    # Two pool processes take one sweep each: both plan the same rows, both dispatch.
    tasks.sweep_meetings.delay()
    tasks.sweep_meetings.delay()
    messages = celery_worker_process.wait_for_mail(due, timeout=60, settle=3.0)

    sweeps = sweeps_run(celery_worker_process.log_path.read_text())
    assert [offered for *_, offered in sweeps] == [due, due], "each offered every reminder"
    (first_process, first_start, first_end), (second_process, second_start, second_end) = [
        sweep[:3] for sweep in sweeps
    ]
    assert first_process != second_process
    assert first_start < second_end and second_start < first_end, "the sweeps overlapped"
    assert sorted(m["To"] for m in messages) == sorted(
        [*participants.values_list("email", flat=True), specialist.email, specialist.email]
    )
    assert_each_sent_once(messages, list(Notice.objects.all()))


# --- b. the mail server fails twice, then accepts ----------------------------------------


class FlakySMTPServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend, on a free port of 127.0.0.1. The first
    ``refuse`` connections are answered "421 Service not available" and closed, as a
    mail server that is overloaded or restarting does; later ones are accepted and
    their messages kept in ``messages``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, refuse: int) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPSession)
        self.refuse = refuse
        self.refused = 0
        self.accepted = 0
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"smtp://{host}:{port}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()
        self.server_close()


class _SMTPSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server = self.server
        with server.lock:
            refuse = server.refused < server.refuse
            if refuse:
                server.refused += 1
            else:
                server.accepted += 1
        if refuse:
            self.reply("421 4.3.2 Service not available, closing transmission channel")
            return
        self.reply("220 flaky.test ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-flaky.test")
                self.reply("250 8BITMIME")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.receive_message()
                self.reply("250 OK queued")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("500 Command not recognised")

    def receive_message(self) -> None:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
        message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(message)


def test_a_mail_server_that_fails_twice_then_accepts_loses_nothing(
    transactional_db, settings, tmp_path, school
):
    """The send task retries a refused notice after 30 * 2**n seconds. Two refusals of
    one notice would take 90 s to get through; instead three notices meet a server that
    refuses its first two connections: the first two notices fail, go back to pending
    with the error, and are sent by their first retry 30 s later, while the third goes
    through at once. The real task and its real backoff, nothing shortened."""
    notices = plan_application_notices([school], recipients_each=3, tag="head")
    with (
        FlakySMTPServer(refuse=2) as smtp,
        running_celery_worker(
            settings, tmp_path / "celery-worker", extra_env={"EMAIL_URL": smtp.url}
        ) as worker,
    ):
        tasks.dispatch_notices.delay()

        def failed_once():
            return Notice.objects.filter(state=NoticeState.PENDING).exclude(last_error="")

        wait_until(
            lambda: (
                failed_once().count() == 2
                and Notice.objects.filter(state=NoticeState.SENT).count() == 1
            ),
            worker=worker,
            timeout=20,
            what="two notices refused and back in the queue, one sent",
        )
        refused_at = timezone.now()
        retried = list(failed_once())
        assert all("421" in n.last_error and n.attempts == 1 for n in retried), [
            (n.attempts, n.last_error) for n in retried
        ]

        wait_until(
            lambda: not Notice.objects.exclude(state=NoticeState.SENT).exists(),
            worker=worker,
            timeout=60,
            what="every notice sent",
        )
        time.sleep(1.0)  # an unwanted extra delivery would show up now
        with smtp.lock:
            messages = list(smtp.messages)
            refused, accepted = smtp.refused, smtp.accepted

    assert (refused, accepted) == (2, 3)
    for notice in Notice.objects.filter(pk__in=[n.pk for n in retried]):
        assert notice.attempts == 2
        assert notice.last_error == ""
        # Sent by the retry, after its countdown, not by anything sooner.
        assert notice.sent_at >= refused_at + timedelta(seconds=25)
    assert sorted(m["To"] for m in messages) == sorted(n.email for n in notices)
    assert_each_sent_once(messages, notices)


# --- c. the worker killed in the middle of 500 sends --------------------------------------


def messages_written(worker) -> int:
    """How many messages the worker has written so far, without parsing them (the file
    backend appends several to one file when their connections get the same name)."""
    return sum(path.read_bytes().count(MAIL_SEPARATOR) for path in worker.mail_dir.glob("*.log"))


def freeze_holding_a_notice(worker, *, after: int, timeout: float = 60.0) -> None:
    """Once the worker has written ``after`` messages, stop its processes (SIGSTOP) at a
    moment when one of them holds a claimed notice not yet marked sent, so that the kill
    that follows lands mid-send for certain rather than by luck."""
    deadline = time.monotonic() + timeout
    sending = Notice.objects.filter(state=NoticeState.SENDING)
    while time.monotonic() < deadline:
        if messages_written(worker) >= after and sending.exists():
            os.killpg(worker.pid, signal.SIGSTOP)
            time.sleep(0.2)  # a statement already on its way to PostgreSQL lands meanwhile
            if sending.exists():
                return
            os.killpg(worker.pid, signal.SIGCONT)  # it had just finished: try again
        time.sleep(0.02)
    raise AssertionError(f"the worker never held a notice after {after} messages")


def test_a_worker_killed_while_sending_500_notices_loses_none_and_doubles_none(
    celery_worker_process, hub
):
    schools = [SchoolFactory(hub=hub) for _ in range(5)]
    notices = plan_application_notices(schools, recipients_each=100, tag="teacher")
    assert len(notices) == 500

    tasks.dispatch_notices.delay()
    freeze_holding_a_notice(celery_worker_process, after=50)
    celery_worker_process.kill(restart=False)  # SIGKILL, as a crash or an OOM kill would
    written_before_kill = len(celery_worker_process.messages())
    assert 50 <= written_before_kill < 500
    assert Notice.objects.filter(state=NoticeState.SENDING).count() == 1

    # The new worker treats a notice "sending" for more than a second as left by a dead
    # worker. Safe here only because a worker of one process runs no send while it runs
    # a dispatch; the real timeout is minutes.
    celery_worker_process.extra_env["NOTICE_SENDING_TIMEOUT"] = "1"
    celery_worker_process.start()
    # Queued behind the sends the dead worker never took, so it runs once they are done.
    # The message of the notice the dead worker held stays unacknowledged in Redis for the
    # broker's visibility timeout (an hour): this dispatch is what finds the notice, marks
    # it sent if its message is in the mail folder, or else queues it to be sent again.
    tasks.dispatch_notices.delay()
    celery_worker_process.wait_for_mail(500, timeout=120, settle=1.0)
    # A dispatch with nothing left to do sends nothing more.
    tasks.dispatch_notices.delay()
    messages = celery_worker_process.wait_for_mail(500, timeout=10, settle=3.0)

    assert_each_sent_once(messages, notices)
