"""A small iCalendar (RFC 5545) writer for meetings.

Used by the private calendar feeds, and written to serve the reminder mails'
attachments too: ``meeting_event`` gives one meeting's VEVENT as content lines,
``calendar_document`` wraps events in a VCALENDAR, folds the lines and ends them
with CRLF. Meeting times are wall-clock times in England, so every event names
the Europe/London zone, which the document defines (GMT in winter, BST in summer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from workgroups.models import Meeting, MeetingState

PRODID = "-//Maths Hubs Programme Portal//hubportal//EN"
TZID = "Europe/London"
DEFAULT_HOST = "hubportal"
# Octets a content line may hold before it must be folded (RFC 5545 §3.1).
LINE_LIMIT = 75
CRLF = "\r\n"

# Europe/London since 1996: BST from 01:00 UTC on the last Sunday of March to
# 01:00 UTC on the last Sunday of October. Each DTSTART is local time before the change.
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    f"X-LIC-LOCATION:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]

# TEXT may not hold control characters other than a tab (line breaks are escaped first).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_text(value: object) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return _CONTROL.sub("", text.replace("\n", "\\n"))


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, each continuation
    starting with a space, never inside a multibyte UTF-8 character."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_LIMIT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
            limit = LINE_LIMIT - 1  # the leading space of a continuation counts
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def unfold(document: str) -> list[str]:
    """The content lines of a document, continuations joined (for tests and readers)."""
    return document.replace(CRLF + " ", "").replace(CRLF + "\t", "").split(CRLF)


def default_host() -> str:
    """The portal's own host name (from SITE_URL), so a meeting's UID is the same
    in the feed and in a mail, whichever address the request came by."""
    return urlsplit(getattr(settings, "SITE_URL", "") or "").hostname or DEFAULT_HOST


def _local(day: date, clock: time) -> str:
    return f"{day:%Y%m%d}T{clock:%H%M%S}"


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def meeting_sequence(meeting: Meeting) -> int:
    """How many times the meeting has changed since it was scheduled.

    Calendars apply an update only when SEQUENCE grows; every saved change of the
    meeting (rescheduled, cancelled, logged) adds a history row, so the count only
    ever rises. Querysets may annotate ``history_count`` to save a query each."""
    count = getattr(meeting, "history_count", None)
    if count is None:
        count = meeting.history.count()
    return max(count - 1, 0)


def _location(meeting: Meeting) -> str:
    school = meeting.venue_school
    if school is None:
        return "Online"
    return ", ".join(part for part in (school.name, school.address) if part)


def _description(meeting: Meeting) -> str:
    group = meeting.work_group
    lines = [
        f"{meeting.get_kind_display()} of work group {group.code}",
        f"{group.stage.name}, {group.year.label}",
    ]
    if meeting.venue_school is not None:
        lines.append(f"At {_location(meeting)}")
    if meeting.online_link:
        lines.append(f"Join online: {meeting.online_link}")
    if meeting.state == MeetingState.CANCELLED:
        reason = f": {meeting.change_reason}" if meeting.change_reason else ""
        lines.append(f"This meeting is cancelled{reason}")
    elif meeting.change_reason:
        lines.append(f"Changed: {meeting.change_reason}")
    return "\n".join(line for line in lines if line)


def meeting_event(
    meeting: Meeting, *, host: str | None = None, stamp: datetime | None = None
) -> list[str]:
    """One meeting as a VEVENT's content lines (not yet folded).

    The meeting needs its group (with stage and year) and its venue school loaded
    for a flat query count. ``stamp`` is when the document is made (DTSTAMP)."""
    stamp = stamp or timezone.now()
    host = host or default_host()
    cancelled = meeting.state == MeetingState.CANCELLED
    summary = f"{meeting.work_group.code} {meeting.get_kind_display()}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@{host}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART;TZID={TZID}:{_local(meeting.date, meeting.starts_at)}",
        f"DTEND;TZID={TZID}:{_local(meeting.date, meeting.ends_at)}",
        f"SEQUENCE:{meeting_sequence(meeting)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(('Cancelled: ' if cancelled else '') + summary)}",
        f"LOCATION:{escape_text(_location(meeting))}",
        f"DESCRIPTION:{escape_text(_description(meeting))}",
    ]
    if meeting.online_link:
        # URL is a URI value, not TEXT: written as it is, without escaping.
        lines.append(f"URL:{_CONTROL.sub('', meeting.online_link)}")
    lines += ["TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def calendar_document(name: str, events: Iterable[list[str]], *, method: str = "PUBLISH") -> str:
    """A whole VCALENDAR: header, the London time zone, the events; folded, CRLF-ended."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        # Hints for how often a subscribed calendar asks again (Outlook, Apple).
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
        *VTIMEZONE,
    ]
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
