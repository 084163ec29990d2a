"""Import the DfE "Get Information about Schools" (GIAS) all-establishments extract.

The extract is a CSV of ~51,000 establishments and ~139 columns, encoded Windows-1252,
every field quoted, dates written dd-mm-yyyy. Columns come and go between releases, so
the import keys on column headings: it needs the REQUIRED ones, reads the optional ones it
knows when they are there (leaving those fields alone when they are not), and ignores the rest.

Each row is upserted by URN. A digest of the row's raw values is stored on the School, so
a row that has not changed since the last import is recognised without converting it or
writing anything: re-importing the same file writes nothing. The file is read as a stream
and handled in batches; everything is written in one transaction, so a refused file (or a
--strict import with any bad row) leaves the database as it was.

The digest covers the columns the portal reads, not the whole row: a release that only
changes, say, `OfstedLastInsp` leaves the school unchanged. It also means an edit made to a
school by hand survives re-imports until GIAS itself changes that school.

On PostgreSQL, batches are COPYed into a temporary table and upserted from there, by a
background thread on the import's own connection, so that the database inserts one batch
while Python reads the next (see _InOrder). `manage.py bench_import` measures the result.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TextIO, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from schools.models import HubArea, School
from schools.services import school_hubs_refresh

T = TypeVar("T")

ENCODING = "cp1252"
BATCH_SIZE = 2000
# Part of every digest: bump it when the way a row maps onto School changes, so that the
# next import rewrites every row instead of trusting digests made under the old mapping.
DIGEST_VERSION = "1"

URN = "URN"
REQUIRED = (
    URN,
    "EstablishmentName",
    "LA (code)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
)

_URN_RE = re.compile(r"[1-9][0-9]{5}")
_LA_CODE_RE = re.compile(r"[0-9]{3}")
_PERCENT_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]+)?")
_CENT = Decimal("0.01")
_INTEGER_MAX = {"PositiveSmallIntegerField": 32767, "PositiveIntegerField": 2147483647}
# Values are joined with NUL, which no value may contain, to digest and check a row at once.
_SEPARATOR = "\x00"


def _not_windows_1252(latin_1: str) -> bool:
    try:
        latin_1.encode("latin-1").decode(ENCODING)
    except UnicodeDecodeError:
        return True
    return False


class GiasFileError(Exception):
    """The file as a whole cannot be imported (say, a required column is missing)."""


class RowError(Exception):
    """One row cannot be imported; the message is the reason reported for it."""


@dataclass(frozen=True)
class Column:
    """A GIAS column the portal reads, and how its text becomes a School field."""

    heading: str
    field: str
    parse: Callable[[str], object]  # raises RowError
    # Text columns only: the field's length, and the reason a blank value is rejected for.
    max_length: int | None = None
    blank_reason: str | None = None


def _text(heading: str, field_name: str, blank_reason: str | None = None) -> Column:
    max_length = School._meta.get_field(field_name).max_length
    assert max_length is not None

    def parse(raw: str) -> str:
        value = raw.strip()
        if not value and blank_reason:
            raise RowError(blank_reason)
        if len(value) > max_length:
            raise RowError(f"{heading} is longer than {max_length} characters")
        return value

    return Column(heading, field_name, parse, max_length, blank_reason)


def _la_code(heading: str, field_name: str) -> Column:
    def parse(raw: str) -> str:
        value = raw.strip()
        if not _LA_CODE_RE.fullmatch(value):
            raise RowError(f"bad {heading} {raw!r}: not a 3-digit number")
        return value

    return Column(heading, field_name, parse)


def _integer(heading: str, field_name: str) -> Column:
    maximum = _INTEGER_MAX[School._meta.get_field(field_name).get_internal_type()]

    def parse(raw: str) -> int | None:
        value = raw if raw.isdigit() else raw.strip()
        if not value:
            return None
        if not (value.isascii() and value.isdigit()):
            raise RowError(f"bad number in {heading}: {raw!r}")
        number = int(value)
        if number > maximum:
            raise RowError(f"{heading} out of range: {raw!r}")
        return number

    return Column(heading, field_name, parse)


def _percentage(heading: str, field_name: str) -> Column:
    def parse(raw: str) -> Decimal | None:
        value = raw.strip()
        if not value:
            return None
        if not _PERCENT_RE.fullmatch(value):
            raise RowError(f"bad percentage in {heading}: {raw!r}")
        percent = Decimal(value).quantize(_CENT)
        if percent > 100:
            raise RowError(f"{heading} over 100: {raw!r}")
        return percent

    return Column(heading, field_name, parse)


def _date(heading: str, field_name: str) -> Column:
    # The same few thousand dates recur through the file (1 September above all).
    known: dict[str, date | None] = {"": None}
    known_max = 100_000

    def parse(raw: str) -> date | None:
        if raw in known:
            return known[raw]
        value = raw.strip()
        day, month, year = value[0:2], value[3:5], value[6:]
        digits = day + month + year
        well_formed = len(value) == 10 and value[2] == value[5] == "-"
        if not (well_formed and digits.isascii() and digits.isdigit()):
            if not value:
                return None
            raise RowError(f"bad date in {heading}: {raw!r} (expected dd-mm-yyyy)")
        try:
            parsed = date(int(year), int(month), int(day))
        except ValueError:
            raise RowError(f"impossible date in {heading}: {raw!r}") from None
        if len(known) < known_max:
            known[raw] = parsed
        return parsed

    return Column(heading, field_name, parse)


# Every column the portal reads besides URN (the key).
COLUMNS: tuple[Column, ...] = (
    _text("EstablishmentName", "name", blank_reason="blank name"),
    _la_code("LA (code)", "la_code"),
    _text("EstablishmentStatus (name)", "status", blank_reason="blank status"),
    _text("PhaseOfEducation (name)", "phase"),
    _text("LA (name)", "la_name"),
    _text("TypeOfEstablishment (name)", "type_name"),
    _text("EstablishmentTypeGroup (name)", "type_group"),
    _date("OpenDate", "open_date"),
    _date("CloseDate", "close_date"),
    _integer("StatutoryLowAge", "statutory_low_age"),
    _integer("StatutoryHighAge", "statutory_high_age"),
    _integer("NumberOfPupils", "pupils"),
    _percentage("PercentageFSM", "fsm_percent"),
    _text("Trusts (name)", "trust"),
    _text("Street", "street"),
    _text("Town", "town"),
    _text("Postcode", "postcode"),
    _text("SchoolWebsite", "website"),
    _text("TelephoneNum", "telephone"),
    _text("HeadTitle (name)", "head_title"),
    _text("HeadFirstName", "head_first_name"),
    _text("HeadLastName", "head_last_name"),
    _text("GOR (name)", "region"),
    _integer("Easting", "easting"),
    _integer("Northing", "northing"),
)
OPTIONAL = tuple(c.heading for c in COLUMNS if c.heading not in REQUIRED)


@dataclass(frozen=True)
class RejectedRow:
    line: int  # in the file, the header being line 1
    urn: str  # as written in the file
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    hubs_changed: int = 0
    missing_optional: tuple[str, ...] = ()
    dry_run: bool = False
    strict: bool = False

    @property
    def written(self) -> bool:
        """Whether the import's changes were kept."""
        return not self.dry_run and not (self.strict and self.rejected)


def gias_import(
    path: str | Path,
    *,
    dry_run: bool = False,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import a GIAS extract into School, creating and updating by URN.

    Rows that cannot be imported are reported (line, URN, reason) and the others are kept;
    with `strict`, one such row means nothing is written. With `dry_run` the report says
    what would change and nothing is written. Raises GiasFileError, writing nothing, when the
    file as a whole cannot be read (a required column missing, not Windows-1252 text, ...).
    """
    report = ImportReport(dry_run=dry_run, strict=strict)
    with open(path, "rb") as raw:
        # Excel leaves a byte-order mark when someone re-saves the extract as UTF-8.
        utf8 = raw.peek(3)[:3] == codecs.BOM_UTF8
        # Otherwise the file is read as Latin-1, several times faster than Python's cp1252
        # codec and the same on every byte but 0x80-0x9F; the rows actually imported are
        # then decoded as Windows-1252 for those few (curly quotes, dashes, the euro sign).
        # newline="" leaves line breaks inside quoted fields for the csv module to handle.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig" if utf8 else "latin-1", newline="")
        with transaction.atomic():
            _Importer(report, batch_size, from_latin_1=not utf8).run(text)
            if not report.written:
                transaction.set_rollback(True)
    report.rejected.sort(key=operator.attrgetter("line"))
    return report


Batch = list[tuple[int, int, Sequence[str]]]  # (line, URN, the values read) for each row


class _Importer:
    def __init__(self, report: ImportReport, batch_size: int, *, from_latin_1: bool) -> None:
        self.report = report
        self.batch_size = batch_size
        self.from_latin_1 = from_latin_1
        self.hub_for_la: dict[str, int] = dict(HubArea.objects.values_list("la_code", "hub_id"))
        self.db = connections[DEFAULT_DB_ALIAS]
        self.writer: _Writer | None = None
        self.writing = not report.dry_run

    def run(self, text: TextIO) -> None:
        records = _Records(text)
        self.work = _InOrder(self.db)
        try:
            try:
                self._read(records)
            except UnicodeDecodeError as exc:
                raise GiasFileError(
                    f"line {records.line + 1} is not UTF-8 text, though the file starts "
                    f"with a UTF-8 byte-order mark ({exc.reason})"
                ) from exc
            except csv.Error as exc:
                raise GiasFileError(f"line {records.line}: {exc}") from exc
            if self.writer and self.writing:
                self.writer.finish()
        except BaseException:
            # The background work must stop before the transaction is rolled back.
            self.work.close(raise_failure=False)
            raise
        self.work.close()
        if self.writing:
            # Rows written above got their hub from HubArea already; this catches the
            # unchanged ones whose LA has moved hub since they were imported.
            self.report.hubs_changed = school_hubs_refresh()

    def _read(self, records: _Records) -> None:
        # Each batch's stored digests are looked up while the batch before is imported, so
        # that on PostgreSQL the look-up is ready (done in the background) when it is needed.
        previous: tuple[Batch, Future[dict[int, str]]] | None = None
        for batch in self._batches(records):
            urns = [urn for _, urn, _ in batch]
            digests = self.work.submit(partial(_stored_digests, self.db, urns))
            if previous:
                self._import_batch(*previous)
            previous = batch, digests
        if previous:
            self._import_batch(*previous)

    def _batches(self, records: _Records) -> Iterator[Batch]:
        """The rows that pass the checks needing no conversion, in batches; the others are
        rejected here."""
        header = records.header()
        if header is None:
            raise GiasFileError("the file is empty")
        self._read_header(header)
        width = len(header)
        urn_at = self.urn_at
        values_of = self.values_of
        seen: dict[int, int] = {}
        batch: Batch = []
        for line, fields in records:
            if not fields:
                continue
            self.report.rows += 1
            if len(fields) != width:
                urn_text = fields[urn_at] if urn_at < len(fields) else ""
                size = "short" if len(fields) < width else "long"
                self._reject(
                    line, urn_text, f"{size} row: {len(fields)} fields, the header has {width}"
                )
                continue
            urn_text = fields[urn_at].strip()
            if not _URN_RE.fullmatch(urn_text):
                self._reject(line, urn_text, f"bad URN {urn_text!r}: not a 6-digit number")
                continue
            urn = int(urn_text)
            first_line = seen.setdefault(urn, line)
            if first_line != line:
                self._reject(line, urn_text, f"duplicate URN: already on line {first_line}")
                continue
            batch.append((line, urn, values_of(fields)))
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _read_header(self, header: list[str]) -> None:
        position: dict[str, int] = {}
        for index, heading in enumerate(header):
            if heading in position and heading in REQUIRED + OPTIONAL:
                raise GiasFileError(f"column {heading!r} appears twice")
            position.setdefault(heading, index)
        missing = [heading for heading in REQUIRED if heading not in position]
        if missing:
            names = ", ".join(repr(heading) for heading in missing)
            raise GiasFileError(f"required column {names} is missing")
        self.urn_at = position[URN]
        read = [c for c in COLUMNS if c.heading in position]
        # Text columns first: _convert checks them together, then parses the others one by one.
        texts = [c for c in read if c.max_length]
        columns = texts + [c for c in read if not c.max_length]
        self.columns = columns
        self.report.missing_optional = tuple(h for h in OPTIONAL if h not in position)
        self.values_of = operator.itemgetter(*(position[c.heading] for c in columns))
        self.la_code_at = [c.heading for c in columns].index("LA (code)")
        self.text_count = len(texts)
        self.text_limits = [c.max_length for c in texts]
        self.text_parsers = [c.parse for c in texts]
        # Always EstablishmentName and EstablishmentStatus (name): itemgetter gives a tuple.
        self.not_blank = operator.itemgetter(*(i for i, c in enumerate(texts) if c.blank_reason))
        self.other_parsers = [c.parse for c in columns[len(texts) :]]

        # A new school gets the empty value for a column the file lacks; an existing one
        # keeps what it had, as only the columns in the file are updated.
        absent = [c for c in COLUMNS if c not in columns]
        self.absent_values = tuple("" if c.max_length else None for c in absent)
        column_of = {f.name: f.column for f in School._meta.concrete_fields}
        present_columns = [column_of[c.field] for c in columns]
        absent_columns = [column_of[c.field] for c in absent]
        derived = [column_of["hub"], column_of["gias_digest"]]
        self.fields = _Fields(
            insert=[column_of["urn"], *present_columns, *absent_columns, *derived],
            update=[*present_columns, *derived],
        )
        # The set of columns read is part of the digest: a release that adds or drops one
        # rewrites each row once, with exactly the fields it carries.
        key = "\x1f".join([DIGEST_VERSION, *(c.heading for c in columns)])
        self.digest_start = hashlib.blake2b(key.encode(), digest_size=16)

    def _import_batch(self, batch: Batch, digests: Future[dict[int, str]]) -> None:
        stored = digests.result()
        changed: list[tuple[object, ...]] = []
        for line, urn, raw in batch:
            joined = _SEPARATOR.join(raw)
            digest = self.digest_start.copy()
            digest.update(joined.encode())
            hexdigest = digest.hexdigest()
            previous = stored.get(urn)
            if previous == hexdigest:
                self.report.unchanged += 1
                continue
            try:
                values = self._convert(raw, joined)
            except RowError as exc:
                self._reject(line, str(urn), str(exc))
                continue
            if previous is None:
                self.report.created += 1
            else:
                self.report.updated += 1
            hub_id = self.hub_for_la.get(values[self.la_code_at])  # type: ignore[call-overload]
            changed.append((urn, *values, *self.absent_values, hub_id, hexdigest))
        if self.writing and changed:
            if self.writer is None:
                self.writer = _writer_for(self.db, self.work, self.fields)
            self.writer.write(changed)

    def _convert(self, raw: Sequence[str], joined: str) -> list[object]:
        """The row's values as School field values, or RowError saying why not."""
        if joined.count(_SEPARATOR) != len(raw) - 1:
            raise RowError(f"{self._column_with(raw, _SEPARATOR.__contains__)} has a NUL character")
        if self.from_latin_1 and not joined.isascii():
            try:
                # Latin-1 gives back the file's bytes exactly, to decode as they were meant.
                joined = joined.encode("latin-1").decode(ENCODING)
            except UnicodeDecodeError:
                heading = self._column_with(raw, _not_windows_1252)
                raise RowError(f"{heading} is not Windows-1252 text") from None
            raw = joined.split(_SEPARATOR)
        texts = raw[: self.text_count]
        # The text values are checked all at once, with C-level map(); only a row that fails
        # goes value by value, to say exactly what is wrong with it.
        values: list[object] = list(map(str.strip, texts))
        if not (
            all(self.not_blank(values))
            and all(map(operator.le, map(len, values), self.text_limits))
        ):
            values = [parse(text) for parse, text in zip(self.text_parsers, texts, strict=True)]
        values += map(operator.call, self.other_parsers, raw[self.text_count :])
        return values

    def _column_with(self, raw: Sequence[str], test: Callable[[str], object]) -> str:
        """The heading of the first column whose value passes the test."""
        return next(c.heading for c, v in zip(self.columns, raw, strict=True) if test(v))

    def _reject(self, line: int, urn: str, reason: str) -> None:
        self.report.rejected.append(RejectedRow(line, urn, reason))
        if self.report.strict:
            # Nothing more is written; gias_import rolls back what was.
            self.writing = False


class _Records:
    """The records of a GIAS extract, each with the file line it starts on (header: line 1).

    GIAS quotes every field, so nearly every line is "a","","c" with no quote inside a
    field, and such a line splits exactly on '","': str.split does that in about two thirds
    of the csv module's time. Any other line (a quote or a line break inside a field, a
    short row) goes to the csv module, which reads on from that line as far as it needs.
    """

    def __init__(self, text: TextIO) -> None:
        self.text = text
        self.line = 0  # the last line read
        self.pending: str | None = None  # a line handed back to the csv module
        self.reader = csv.reader(self._lines())
        self.width = 0

    def header(self) -> list[str] | None:
        try:
            _, fields = self._parse(None)
        except StopIteration:
            return None
        self.width = len(fields)
        return [heading.strip() for heading in fields]

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        width, quotes = self.width, 2 * (self.width - 1)
        for text in self.text:
            if text.endswith('"\r\n'):
                inner = text[1:-3]
            elif text.endswith('"\n'):
                inner = text[1:-2]
            else:
                yield self._parse(text)
                continue
            # width - 1 separators hold every quote in the line: no field has one of its own.
            if text[0] == '"' and inner.count('"') == quotes:
                fields = inner.split('","')
                if len(fields) == width:
                    self.line += 1
                    yield self.line, fields
                    continue
            yield self._parse(text)

    def _parse(self, first: str | None) -> tuple[int, list[str]]:
        self.pending = first
        before = self.reader.line_num
        fields = next(self.reader)
        start = self.line + 1
        self.line += self.reader.line_num - before
        return start, fields

    def _lines(self) -> Iterator[str]:
        while True:
            if self.pending is not None:
                text, self.pending = self.pending, None
            else:
                text = self.text.readline()
                if not text:
                    return
            yield text


def _stored_digests(db: BaseDatabaseWrapper, urns: list[int]) -> dict[int, str]:
    """The digest last imported for each of these URNs that is already a school (and maybe
    for a few more)."""
    # Plain SQL: building the ORM's `urn__in` for 2,000 URNs costs more than running it.
    quote = db.ops.quote_name
    table = quote(School._meta.db_table)
    select = f"SELECT {quote('urn')}, {quote('gias_digest')} FROM {table}"  # noqa: S608
    if all(map(operator.lt, urns, urns[1:])):
        # GIAS sorts its extract by URN. One range scan is several times cheaper than as
        # many index look-ups as URNs; and in a sorted file the batches' ranges do not
        # overlap, so all of them together read each school at most once.
        where, params = f"{quote('urn')} BETWEEN %s AND %s", [urns[0], urns[-1]]
    else:
        where, params = f"{quote('urn')} IN ({', '.join(['%s'] * len(urns))})", urns
    with db.cursor() as cursor:
        # Only names are formatted into the SQL; the URNs go as parameters.
        cursor.execute(f"{select} WHERE {where}", params)
        return dict(cursor.fetchall())


class _InOrder:
    """Runs the import's database work in the order it is handed over.

    On PostgreSQL the work runs on one background thread, over the import's own connection
    and so inside its transaction: PostgreSQL inserts one batch, and looks up the next,
    while Python reads and converts the one after (the database server works while the
    thread waits, without holding the GIL). The import does not use the connection itself
    between creating this and close(). On other databases the work runs at once.
    """

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db
        self.failure: BaseException | None = None
        self.pool: ThreadPoolExecutor | None = None
        if db.vendor == "postgresql":
            db.inc_thread_sharing()
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gias-import")

    def submit(self, work: Callable[[], T]) -> Future[T]:
        if self.pool:
            return self.pool.submit(self._run, work)
        future: Future[T] = Future()
        try:
            future.set_result(self._run(work))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def _run(self, work: Callable[[], T]) -> T:
        # After a failure the transaction is broken: later work would only fail as well.
        if self.failure:
            raise self.failure
        try:
            return work()
        except BaseException as exc:
            self.failure = exc
            raise

    def close(self, *, raise_failure: bool = True) -> None:
        """Wait for the work handed over, then raise the first failure, if any. Without
        raise_failure, the import is failing anyway: work not yet started is dropped."""
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=not raise_failure)
            self.pool = None
            self.db.dec_thread_sharing()
        if self.failure and raise_failure:
            raise self.failure


@dataclass(frozen=True)
class _Fields:
    insert: list[str]  # the School columns of each row written, URN first
    update: list[str]  # those that an existing school takes from the file


class _Writer:
    """Creates or updates schools from rows of values, one per column in fields.insert."""

    def __init__(self, db: BaseDatabaseWrapper, work: _InOrder, fields: _Fields) -> None:
        self.db = db
        self.work = work
        self.fields = fields

    def write(self, rows: list[tuple[object, ...]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once after the last write."""


class _BulkWriter(_Writer):
    """Any database: Django's bulk_create with ON CONFLICT (urn) DO UPDATE."""

    def __init__(self, db: BaseDatabaseWrapper, work: _InOrder, fields: _Fields) -> None:
        super().__init__(db, work, fields)
        attname = {f.column: f.attname for f in School._meta.concrete_fields}
        self.attnames = [attname[column] for column in fields.insert]
        self.update_fields = [attname[column] for column in fields.update]

    def write(self, rows: list[tuple[object, ...]]) -> None:
        schools = [School(**dict(zip(self.attnames, row, strict=True))) for row in rows]
        self.work.submit(
            partial(
                School.objects.using(self.db.alias).bulk_create,
                schools,
                update_conflicts=True,
                unique_fields=["urn"],
                update_fields=self.update_fields,
            )
        )


class _PostgresWriter(_Writer):
    """PostgreSQL: COPY each batch into a temporary table, then upsert it from there.

    COPY moves rows several times faster than a multi-row INSERT, and with no School
    instances to build; INSERT ... SELECT ... ON CONFLICT then does the upsert in SQL.
    """

    STAGE = "gias_import_stage"

    def __init__(self, db: BaseDatabaseWrapper, work: _InOrder, fields: _Fields) -> None:
        super().__init__(db, work, fields)
        quote = db.ops.quote_name
        columns = ", ".join(quote(column) for column in fields.insert)
        table = quote(School._meta.db_table)
        updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in fields.update)
        # Only names are formatted into these statements.
        self.copy = f"COPY {self.STAGE} ({columns}) FROM STDIN WITH (FORMAT csv)"
        self.upsert = (
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {self.STAGE} "  # noqa: S608
            f"ON CONFLICT ({quote('urn')}) DO UPDATE SET {updates}; TRUNCATE {self.STAGE}"
        )
        # Dropped in finish(); ON COMMIT DROP is the backstop if an import fails.
        self._execute(
            f"CREATE TEMPORARY TABLE {self.STAGE} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )

    def write(self, rows: list[tuple[object, ...]]) -> None:
        buffer = io.StringIO()
        # Unquoted empty means NULL to COPY; a quoted "" stays an empty string.
        csv.writer(buffer, quoting=csv.QUOTE_NOTNULL).writerows(rows)
        self.work.submit(partial(self._send, buffer.getvalue()))

    def _send(self, data: str) -> None:
        with self.db.cursor() as cursor:
            # All in one read(): the thread then needs the GIL once, not once per 8 kB.
            cursor.copy_expert(self.copy, io.StringIO(data), len(data) + 1)
            cursor.execute(self.upsert)

    def finish(self) -> None:
        self._execute(f"DROP TABLE {self.STAGE}")

    def _execute(self, sql: str) -> None:
        def execute() -> None:
            with self.db.cursor() as cursor:
                cursor.execute(sql)

        self.work.submit(execute)


def _writer_for(db: BaseDatabaseWrapper, work: _InOrder, fields: _Fields) -> _Writer:
    if db.vendor == "postgresql":
        return _PostgresWriter(db, work, fields)
    return _BulkWriter(db, work, fields)
