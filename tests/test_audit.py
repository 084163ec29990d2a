"""Every state change is audited with who made it.

The service modules are found, not listed: every module named ``services`` (or inside
a ``services`` package) and the other modules holding ``<thing>_<verb>`` services
(AUDITED_MODULES) give all their public functions, and any other module of the portal
gives each public function taking the acting person as a keyword (``actor``, ``user``,
``by``). Each one found must be in exactly one table of tests/audit_cases.py:

- CASES: a person's service. Called once, every history row it writes names that
  person, the rows the case names have a new history row, and the first of them
  carries the change reason the service gives.
- SYSTEM: a job nobody starts. Every history row it writes names nobody and says
  which job wrote it; a job declaring no reason writes no history.
- NO_HISTORY_KEPT: a person's change to a model that keeps no history.
- NOT_STATE_CHANGES: reads and checks.

A new service with no entry fails test_every_service_is_in_one_table by name."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from tests.audit_cases import (
    CASES,
    NO_HISTORY_KEPT,
    NOT_STATE_CHANGES,
    SYSTEM,
    Audit,
    tracked_models,
)

pytestmark = pytest.mark.django_db

PACKAGES = ("schools", "workgroups", "funding", "hubportal")
# Modules not named services that hold services: every public function is listed.
AUDITED_MODULES = (
    "funding.assurance",
    "hubportal.accounts.support",
    "hubportal.privacy.retention",
    "schools.gias",
)
ACTOR_NAMES = {"actor", "user", "by"}
# Modules that configure or start the project rather than define behaviour.
NOT_SCANNED = {"migrations", "settings", "wsgi", "asgi"}


def _is_service_module(name: str) -> bool:
    return name in AUDITED_MODULES or "services" in name.split(".")


def _takes_actor(function) -> bool:
    return any(
        parameter.kind is parameter.KEYWORD_ONLY and parameter.name in ACTOR_NAMES
        for parameter in inspect.signature(function).parameters.values()
    )


def found_services() -> set[str]:
    """The qualified name of every public function a state change may hide in."""
    found = set()
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if NOT_SCANNED & set(info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            every = _is_service_module(info.name)
            for name, value in vars(module).items():
                if (
                    not name.startswith("_")
                    and inspect.isfunction(value)
                    and value.__module__ == module.__name__
                    and (every or _takes_actor(value))
                ):
                    found.add(f"{module.__name__}.{name}")
    return found


FOUND = found_services()
TABLES = {
    "CASES": set(CASES),
    "SYSTEM": set(SYSTEM),
    "NO_HISTORY_KEPT": set(NO_HISTORY_KEPT),
    "NOT_STATE_CHANGES": set(NOT_STATE_CHANGES),
}


def test_every_service_is_in_one_table(record_property):
    listed = set().union(*TABLES.values())
    missing = sorted(FOUND - listed)
    assert not missing, (
        "No case in tests/audit_cases.py for: " + ", ".join(missing) + ". Add one to CASES "
        "(or SYSTEM, NO_HISTORY_KEPT or NOT_STATE_CHANGES, with the reason)."
    )
    gone = sorted(listed - FOUND)
    assert not gone, "Listed in tests/audit_cases.py but not found: " + ", ".join(gone)
    twice = sorted(name for name in listed if sum(name in names for names in TABLES.values()) > 1)
    assert not twice, "In more than one table: " + ", ".join(twice)
    assert set(AUDITED_MODULES) <= {name.rsplit(".", 1)[0] for name in FOUND}
    counts = {table: len(names) for table, names in TABLES.items()}
    record_property("services", counts)
    print(f"\n{len(FOUND)} public functions found: {counts}")


@pytest.fixture
def audit(tmp_path):
    return Audit(tmp_path)


def _check_called(audit: Audit, name: str) -> None:
    assert audit.service is not None, f"The case for {name} did not call it through audit.call"
    called = f"{audit.service.__module__}.{audit.service.__name__}"
    assert called == name, f"The case for {name} called {called}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_persons_change_is_recorded_with_who_made_it(name, audit):
    expect = CASES[name](audit)

    _check_called(audit, name)
    assert expect.actor is not None and expect.rows, f"The case for {name} names nobody"
    assert audit.written, f"{name} wrote no history"
    for record in audit.written:
        assert record.history_user_id == expect.actor.pk, (
            f"{name} wrote {record._meta.object_name} {record.history_id} "
            f"with history_user {record.history_user!r}, not {expect.actor!r}"
        )
    for row in expect.rows:
        record = audit.newest(row)
        assert record is not None, f"{name} wrote no history for {row!r}"
    if expect.reason is not None:
        assert audit.newest(expect.rows[0]).history_change_reason == expect.reason


@pytest.mark.parametrize("name", sorted(SYSTEM))
def test_a_jobs_change_names_the_job_and_nobody(name, audit):
    why, case = SYSTEM[name]
    expect = case(audit)

    _check_called(audit, name)
    assert why.strip()
    assert expect.actor is None
    if expect.reason is None:
        assert audit.written == [], f"{name} wrote history without saying which job"
        return
    assert audit.written, f"{name} wrote no history"
    for record in audit.written:
        assert record.history_user_id is None, f"{name} named {record.history_user!r}"
        assert record.history_change_reason == expect.reason
    for row in expect.rows:
        assert audit.newest(row) is not None, f"{name} wrote no history for {row!r}"


@pytest.mark.parametrize("name", sorted(NO_HISTORY_KEPT))
def test_a_change_to_a_row_without_history_is_listed_with_its_model(name):
    model, why = NO_HISTORY_KEPT[name]
    assert why.strip()
    assert model not in tracked_models(), (
        f"{model.__name__} now keeps history: move {name} to CASES with a case"
    )
