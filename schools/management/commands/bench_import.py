"""manage.py bench_import: time the GIAS import against PostgreSQL's own COPY of the file.

Runs on PostgreSQL only, inside one transaction that it rolls back, so it leaves the
database as it found it. It times, on the same file:
  (a) COPY of the file into a temporary table of text columns, which is what psql's
      \\copy does and the fastest a database can take the file in;
  (b) a first import into the empty School table;
  (c) a re-import of the same, now unchanged, file;
and compares them with the targets: (b) <= 3 x (a), (c) <= 1.5 x (a), peak memory <= 250 MB.
"""

import csv
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from schools.gias import ENCODING, gias_import
from schools.gias_sample import sample_rows, write_rows
from schools.models import School

FIRST_TARGET = 3.0
REIMPORT_TARGET = 1.5
MEMORY_TARGET_MB = 250


@dataclass(frozen=True)
class _Cost:
    wall: float
    client_cpu: float
    server_cpu: float | None  # None when PostgreSQL runs on another machine


class _Rollback(Exception):
    """Raised to leave the benchmark's transaction without keeping anything."""


class Command(BaseCommand):
    help = (
        "Benchmark the GIAS import against PostgreSQL's COPY of the same file (PostgreSQL "
        "only; everything it writes is rolled back)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=51000, help="rows to generate (51000)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--path", type=Path, help="time this extract, not a generated one")
        parser.add_argument(
            "--repeat",
            type=int,
            default=1,
            help="run the three timings this many times and compare the medians (1)",
        )

    def handle(self, *args, rows: int, seed: int, path: Path | None, repeat: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_import compares the import with PostgreSQL's COPY, so it needs "
                "PostgreSQL: set DATABASE_URL=postgres://... (this database is "
                f"{connection.vendor})."
            )
        try:
            has_schools = School.objects.exists()
        except DatabaseError as exc:
            raise CommandError(f"Cannot read the School table ({exc}); run migrate first.") from exc
        if has_schools:
            raise CommandError(
                "The School table is not empty, and the benchmark times a first import into "
                "an empty one. Run it against an empty, migrated database, e.g. "
                "createdb gias_bench && DATABASE_URL=postgres://.../gias_bench "
                "manage.py migrate && ... manage.py bench_import"
            )
        with tempfile.TemporaryDirectory() as scratch:
            if path is None:
                path = Path(scratch) / "gias_sample.csv"
                started = time.perf_counter()
                write_rows(path, sample_rows(rows, seed=seed))
                self.stdout.write(
                    f"Generated {rows} rows ({path.stat().st_size / 1e6:.1f} MB) "
                    f"in {time.perf_counter() - started:.1f} s."
                )
            elif not path.is_file():
                raise CommandError(f"No such file: {path}")
            runs = [self._run_once(path) for _ in range(repeat)]
            self._report(path, runs)

    def _run_once(self, path: Path) -> dict[str, _Cost]:
        costs: dict[str, _Cost] = {}
        try:
            with transaction.atomic():
                costs["copy"] = _measure(lambda: _copy_into_text_table(path))
                costs["first"] = _measure(lambda: _import_expecting(path, created=True))
                costs["reimport"] = _measure(lambda: _import_expecting(path, created=False))
                raise _Rollback
        except _Rollback:
            pass
        # The rolled-back rows are dead tuples still in School's indexes; a next run would
        # trip over them, so they go now.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {connection.ops.quote_name(School._meta.db_table)}")
        return costs

    def _report(self, path: Path, runs: list[dict[str, _Cost]]) -> None:
        def median(name: str, part: str) -> float:
            return statistics.median(getattr(run[name], part) for run in runs)

        copy, first, reimport = (median(n, "wall") for n in ("copy", "first", "reimport"))
        # ru_maxrss is in KiB on Linux: the peak resident set of this whole process,
        # Django and the generated file's writer included, not just the import.
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        medians = "" if len(runs) == 1 else f", medians of {len(runs)} runs"
        lines = [
            f"File: {path.name}, {path.stat().st_size / 1e6:.1f} MB{medians}",
            f"(a) COPY into a table of text columns: {copy:6.2f} s",
            f"(b) first import into an empty table:   {first:6.2f} s = {first / copy:.2f} x COPY"
            f"  (target <= {FIRST_TARGET} x) " + _verdict(first / copy <= FIRST_TARGET),
            f"(c) unchanged re-import:                {reimport:6.2f} s = {reimport / copy:.2f} x"
            f" COPY  (target <= {REIMPORT_TARGET} x) "
            + _verdict(reimport / copy <= REIMPORT_TARGET),
            f"Peak memory (ru_maxrss, whole process): {peak_mb:.0f} MB  "
            f"(target <= {MEMORY_TARGET_MB} MB) " + _verdict(peak_mb <= MEMORY_TARGET_MB),
        ]
        if all(run[name].server_cpu is not None for run in runs for name in run):
            # Wall-clock ratios wobble when other work shares the machine; CPU seconds, this
            # process's plus its PostgreSQL backend's, do not.
            cpu = {n: median(n, "client_cpu") + median(n, "server_cpu") for n in runs[0]}
            lines.append(
                "CPU seconds (this process + its PostgreSQL backend): "
                f"COPY {cpu['copy']:.2f}, first {cpu['first']:.2f} "
                f"({cpu['first'] / cpu['copy']:.2f} x), re-import {cpu['reimport']:.2f} "
                f"({cpu['reimport'] / cpu['copy']:.2f} x)"
            )
        lines.append("Everything written was rolled back.")
        self.stdout.write("\n".join(lines))


def _measure(work: Callable[[], object]) -> _Cost:
    server_before = _server_cpu()
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server_after = _server_cpu()
    server = None
    if server_before is not None and server_after is not None:
        server = server_after - server_before
    return _Cost(wall, cpu, server)


def _server_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when it runs on
    this machine (read from /proc), else None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime, fields 14 and 15 of proc(5), counted from after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _copy_into_text_table(path: Path) -> None:
    """What psql's \\copy does: the file into a table with one text column per heading."""
    with open(path, encoding=ENCODING, newline="") as text:
        headings = next(csv.reader(text))
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(heading)} text" for heading in headings)
    with connection.cursor() as cursor, open(path, "rb") as raw:
        cursor.execute(f"CREATE TEMPORARY TABLE gias_bench_copy ({columns}) ON COMMIT DROP")
        cursor.copy_expert(
            "COPY gias_bench_copy FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'WIN1252')",
            raw,
        )


def _import_expecting(path: Path, *, created: bool) -> None:
    report = gias_import(path)
    done = report.created if created else report.unchanged
    if report.rejected or done != report.rows:
        raise CommandError(
            f"Unexpected import: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.rejected)} rejected of {report.rows}."
        )
