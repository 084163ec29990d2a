"""What the fuzzing properties type into the portal's forms, and how they judge its answer.

The strategies give the values a careless, unlucky or hostile person could send: text in
any script (astral and right-to-left characters too), very long text, NUL and other
control characters, HTML and SQL fragments, numbers at their edges and dates that do not
exist. Every example is posted through the Django test client to the real view, as the
person who uses the form, inside a savepoint that is rolled back, so each example starts
from the same portal.

The rules every answer keeps:

- never a server error (the test client re-raises a view's exception, so one fails);
- refused: the page shows the person what to correct (an error summary or the error
  beside the field), and no table of the portal changed, their history tables included;
- accepted: the write is whole: every changed row that keeps a history has its history
  row too."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
import time_machine
from django.apps import apps
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from tests.security.access_world import NOW, World, build_world

# Hypothesis settings for a property that posts through the test client.
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
FEW = settings(FUZZ, max_examples=10)

# ---------------------------------------------------------------------------
# Values

INJECTION = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "'; DROP TABLE schools_school; --",
    "%s%s%s%n",
    "{{ 7*7 }}{% debug %}",
    "../../../../etc/passwd",
    '=HYPERLINK("http://evil.example","x")',
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",  # right-to-left override
    "مرحبا بالعالم",
    "שלום עולם",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 🏴\U000e0067\U000e0062",
    "\ufeffBOM",
    "\r\n\r\n",
    "   ",
    "",
    "null",
    "None",
    "true",
    "0",
    "-1",
]

# Text from every plane Unicode has (no lone surrogates: a browser cannot send one).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
control_text = st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=10)


def _long(piece: str, times: int) -> str:
    return (piece or "x") * times


long_text = st.builds(
    _long,
    st.sampled_from(["a", "é", "𝔘", "مر", "<b>", "' OR 1=1 -- "]),
    st.integers(10_000, 12_000),
)

# Short enough for a field's name (Django's multipart parser refuses headers over 1 KB).
short_text = st.one_of(st.sampled_from(INJECTION), any_text, control_text)

nasty_text = st.one_of(
    st.sampled_from(INJECTION),
    any_text,
    control_text,
    long_text,
    st.builds(lambda a, b: a + b, st.sampled_from(INJECTION), any_text),
)

NUMBERS = [
    "0",
    "-1",
    "-0",
    "1",
    "00000001",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "99999999999999999999999999999999",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "£1,000.005",
    "1,000",
    "1 000",
    "0.001",
    "12.345",
    "3.14159265358979323846264338327950288419716939937510",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    "１２３",  # full-width digits
    "²",
    "²²²²²²",
    "¹²³⁴⁵⁶",
    "²⁰²⁶",
    "1_000",
    "+5",
    "  7  ",
    "",
]

nasty_number = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats().map(repr),
    nasty_text,
)

DATE_PARTS = [
    ("31", "2", "2027"),  # 31 February
    ("29", "2", "2027"),
    ("30", "2", "2028"),
    ("1", "1", "0"),  # year 0
    ("1", "1", "0000"),
    ("1", "1", "99999"),
    ("1", "13", "2027"),
    ("0", "1", "2027"),
    ("32", "1", "2027"),
    ("-1", "1", "2027"),
    ("1", "-1", "2027"),
    ("one", "two", "three"),
    ("1", "feb", "twenty"),
    ("1", "Feb", "2027"),
    ("1", "1", "1999"),
    ("1", "1", "2101"),
    ("1", "1", "9999"),
    ("", "", ""),
    ("", "1", "2027"),
    ("1", "", ""),
    ("٣", "١", "٢٠٢٧"),
    ("²", "1", "2027"),
    ("1", "²", "2027"),
    ("1", "1", "²⁰²⁷"),
    ("１", "１", "２０２７"),
    ("1.5", "1", "2027"),
    ("1e1", "1", "2027"),
    ("99999999999999999999", "1", "2027"),
]

date_parts = st.one_of(
    st.sampled_from(DATE_PARTS),
    st.tuples(nasty_number, nasty_number, nasty_number),
    st.tuples(
        st.integers(-5, 40).map(str), st.integers(-2, 14).map(str), st.integers(-1, 10**6).map(str)
    ),
)

ISO_DATES = [
    "2027-02-31",
    "0000-01-01",
    "99999-01-01",
    "2027-13-01",
    "2027-1-1",
    "1/1/2027",
    "31 February 2027",
    "tomorrow",
    "2027-01-01T25:00",
    "",
]
iso_date = st.one_of(st.sampled_from(ISO_DATES), nasty_text)

TIMES = ["25:00", "12:60", "-1:00", "noon", "1300", "13:00:99", "", "23:59", "00:00", "9"]
times = st.one_of(st.sampled_from(TIMES), nasty_number)


def mostly(valid, strategy):
    """A value a person would type three times in four, else ``strategy``'s: so that
    forms are accepted often enough for their saving to be fuzzed too."""
    return st.tuples(st.integers(0, 3), strategy).map(
        lambda pair: pair[1] if pair[0] == 3 else valid
    )


def date_fields(name: str, parts: tuple[str, str, str]) -> dict[str, str]:
    """A GOV.UK date input's three boxes, as the browser sends them."""
    day, month, year = parts
    return {f"{name}_day": day, f"{name}_month": month, f"{name}_year": year}


# ---------------------------------------------------------------------------
# The portal the properties post to


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two hubs with every kind of row, built once per module in a transaction rolled
    back at the end; each test and each example runs in a savepoint inside it."""
    base = tmp_path_factory.mktemp("fuzz")
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with (
                override_settings(
                    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                    MEDIA_ROOT=str(base / "private"),
                    MAIL_DIR=str(base / "mail"),
                ),
                time_machine.travel(NOW, tick=False),
            ):
                built = build_world(base / "mail", base / "private")
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class Portal:
    """The world, named briefly when a failing example is reported."""

    def __init__(self, world: World):
        self._world = world

    def __getattr__(self, name):
        return getattr(self._world, name)

    def __repr__(self) -> str:
        return "<the portal's two hubs>"


@pytest.fixture
def portal(world, db, settings, time_machine, _test_settings) -> Portal:
    time_machine.move_to(NOW)
    settings.MEDIA_ROOT = str(world.media_root)
    settings.MAIL_DIR = str(world.mail_dir)
    settings.SITE_URL = "https://portal.example"
    return Portal(world)


@pytest.fixture
def as_role(client, portal):
    """Signs the client in as one of the first hub's people."""

    def _as(role: str):
        client.force_login(portal.users()[role])
        return client

    return _as


# ---------------------------------------------------------------------------
# Posting and judging

WATCHED_APPS = ("accounts", "schools", "workgroups", "funding", "notices")


def _watched_tables() -> dict[str, str]:
    tables = {}
    for app_label in WATCHED_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.label_lower == "accounts.user":
                continue  # signing in touches last_login
            tables[model._meta.label_lower] = model._meta.db_table
    return tables


def snapshot() -> dict[str, list]:
    """Every row of the portal's tables (raw, for speed: one query a table)."""
    state = {}
    with connection.cursor() as cursor:
        for label, table in _watched_tables().items():
            # The table names are the models' own, never anything typed.
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")  # noqa: S608
            state[label] = cursor.fetchall()
    return state


def _history_label(label: str) -> str | None:
    model = apps.get_model(label)
    history = getattr(model, "history", None)
    if history is None or not hasattr(history, "model"):
        return None
    return history.model._meta.label_lower


@dataclass
class Answer:
    response: object
    before: dict[str, list]
    after: dict[str, list]
    messages: list = field(default_factory=list)
    probe: object = None

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def changed(self) -> list[str]:
        return [label for label in self.before if self.before[label] != self.after[label]]

    @property
    def html(self) -> str:
        if getattr(self.response, "streaming", False):
            return ""
        return self.response.content.decode("utf-8", errors="replace")

    def added(self, label: str) -> list:
        old = set(self.before[label])
        return [row for row in self.after[label] if row not in old]

    @property
    def error_messages(self) -> list[str]:
        return [str(m) for m in self.messages if "error" in m.tags]

    @property
    def shows_error(self) -> bool:
        html = self.html
        return (
            "govuk-error-summary" in html
            or "govuk-error-message" in html
            or bool(self.error_messages)
        )


def send(client, method: str, path, data=None, *, probe=None, setup=None, **extra) -> Answer:
    """One request in a savepoint rolled back afterwards: what it changed, and its answer.

    ``setup`` makes rows the request needs, inside the same savepoint; ``path`` and
    ``data`` may be callables given what it returned. ``probe`` is called after the
    request, before the rollback, to read what was saved."""
    with transaction.atomic():
        made = setup() if setup is not None else None
        if callable(path):
            path = path(made)
        if callable(data):
            data = data(made)
        before = snapshot()
        # Only this request's messages: earlier ones wait in the client's cookie.
        client.cookies.pop("messages", None)
        if method == "GET":
            response = client.get(path, data or {}, **extra)
        else:
            response = client.post(path, data or {}, **extra)
        after = snapshot()
        messages = list(getattr(response.wsgi_request, "_messages", []))
        probed = probe() if probe is not None else None
        transaction.set_rollback(True)
    return Answer(response=response, before=before, after=after, messages=messages, probe=probed)


def assert_judged(answer: Answer, *, accepted: int = 302) -> bool:
    """The answer to one example keeps the rules; returns whether it was accepted."""
    assert answer.status < 500, f"server error {answer.status}"
    changed = answer.changed
    if answer.status == 200 or (answer.status == accepted and not changed):
        # Refused (or nothing to change): the person is told, and nothing was written.
        assert not changed, f"a refused form changed {', '.join(changed)}"
        if answer.status == 200:
            assert answer.shows_error, "the form was refused without an error shown"
        event("refused")
        return False
    assert answer.status == accepted, f"unexpected status {answer.status}"
    assert_whole(answer)
    event("accepted")
    return True


def assert_whole(answer: Answer) -> None:
    """Every changed row that keeps a history has its history row written too."""
    changed = set(answer.changed)
    for label in changed:
        history = _history_label(label)
        if history is not None:
            assert history in changed, f"{label} changed without its history ({history})"


def assert_refused(answer: Answer) -> None:
    """Refused: no server error, nothing written, and the person told why."""
    assert answer.status < 500, f"server error {answer.status}"
    assert not answer.changed, f"a refused form changed {', '.join(answer.changed)}"
    assert answer.shows_error, f"refused without an error shown ({answer.status})"


def assert_list_page(answer: Answer) -> None:
    """A list given a junk query string: a page (or a redirect), never an error, no write."""
    assert answer.status in (200, 302), f"status {answer.status}"
    assert not answer.changed, f"a list page changed {', '.join(answer.changed)}"


def a_day(day: datetime.date) -> tuple[str, str, str]:
    return (str(day.day), str(day.month), str(day.year))
