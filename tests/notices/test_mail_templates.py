"""The notice mails: every kind renders a subject, a plain-text part and an HTML part
from rows planned the way the sweeps and services plan them; the portal link goes
only to people with an account, the preferences link only in mails a person may turn
off; each mail says why it was sent; meeting mails say when and where and carry the
calendar file; and no URL in any mail carries a secret."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse

from funding import services as funding
from hubportal.notices import delivery, services, sweeps
from hubportal.notices.models import OPTIONAL_KINDS, Notice, NoticeKind
from hubportal.notices.services import Plan, Recipient
from tests.factories import (
    ApplicationWindowFactory,
    ClaimWindowFactory,
    HeadteacherFactory,
    MeetingFactory,
    ParticipationFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
    group_with_schools,
    ready_claim,
    stage,
    year,
)
from workgroups.models import MeetingState

pytestmark = pytest.mark.django_db

K = NoticeKind
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday in the 2026/27 year
TODAY = NOW.date()
SITE = "https://portal.example"
# An apostrophe and an ampersand: the plain-text parts must not HTML-escape them.
SCHOOL_NAME = "St Mary's & St John's Primary School"
ONLINE_LINK = "https://meet.example.org/abc-defg-hij"


@pytest.fixture(autouse=True)
def _now(time_machine, settings):
    time_machine.move_to(NOW)
    settings.SITE_URL = SITE


@pytest.fixture
def world(hub, hub_lead):
    """A hub with a led work group of two schools (St Mary's and one more), meetings
    past and coming, a school new to the programme, an application window opening
    today and a claim deadline in 14 days."""
    specialist = SpecialistFactory(
        hub=hub, user=UserFactory(email="sam@specialist.example", full_name="Sam Specialist")
    ).user
    group = group_with_schools(hub, schools=2, lead=specialist)
    first, second = (member.school for member in group.members.order_by("pk"))
    first.name, first.street, first.town, first.postcode = (
        SCHOOL_NAME,
        "1 Church Lane",
        "Manchester",
        "M1 1AA",
    )
    first.save()
    head = HeadteacherFactory(
        school=first, user=UserFactory(email="pat@stmarys.example", full_name="Pat Head")
    ).user
    coming = MeetingFactory(
        work_group=group,
        date=TODAY + timedelta(days=7),
        starts_at=time(13, 30),
        ends_at=time(16, 0),
        venue_school=first,
        online_link="",
    )
    online = MeetingFactory(
        work_group=group, date=TODAY + timedelta(days=20), online_link=ONLINE_LINK
    )
    past = MeetingFactory(work_group=group, date=TODAY - timedelta(days=9))
    newcomer = SchoolFactory(hub=hub, name="Rowan Tree Primary School")
    newcomer_head = HeadteacherFactory(
        school=newcomer, user=UserFactory(email="robin@rowan.example", full_name="Robin Rowan")
    ).user
    window = ApplicationWindowFactory(
        hub=hub, stage=stage("dwg"), year=year(2026), opens=TODAY, closes=TODAY + timedelta(60)
    )
    claim_window = ClaimWindowFactory(hub=hub, year=year(2026), closes=TODAY + timedelta(14))
    return {
        "hub": hub,
        "lead": hub_lead,
        "specialist": specialist,
        "group": group,
        "first": first,
        "second": second,
        "head": head,
        "coming": coming,
        "online": online,
        "past": past,
        "newcomer": newcomer,
        "newcomer_head": newcomer_head,
        "window": window,
        "claim_window": claim_window,
    }


def planned(plans) -> None:
    services.notice_plan(plans, now=NOW)


def one(kind, **filters) -> Notice:
    return Notice.objects.filter(kind=kind, **filters).order_by("pk").first()


def claim_in(world, occasion: str):
    """A grant claim of St Mary's, decided (or paid) through the funding services."""
    claim = funding.claim_submit(
        actor=world["head"], claim=ready_claim(world["first"], world["head"], kind="grant")
    )
    lead = world["lead"]
    if occasion == "approved":
        claim = funding.claim_approve(actor=lead, claim=claim, reason="Thank you: all in order.")
    elif occasion == "returned":
        claim = funding.claim_return(
            actor=lead, claim=claim, reason="Please add the finance contact's email address."
        )
    elif occasion == "rejected":
        claim = funding.claim_reject(
            actor=lead, claim=claim, reason="The school has already had the grant this year."
        )
    elif occasion == "paid":
        claim = funding.claim_approve(actor=lead, claim=claim)
        batch = funding.batch_create(actor=lead, hub=claim.hub, year=claim.year, claims=[claim])
        funding.batch_mark_paid(actor=lead, batch=batch)
    return claim


def plan_claim(world, occasion: str) -> Notice:
    claim = claim_in(world, occasion)
    head = world["head"]
    planned(
        [
            Plan(
                kind=K.CLAIM,
                subject_type="claim",
                subject_id=claim.pk,
                occasion=occasion,
                recipients=[Recipient(head.email, head.full_name, head.pk)],
                hub_id=claim.hub_id,
                school_id=claim.school_id,
            )
        ]
    )
    return one(K.CLAIM, occasion=occasion)


def make(world, kind: str) -> Notice:
    """The notice of ``kind`` to a person with an account, planned as the portal plans it."""
    coming = world["coming"]
    if kind == K.MEETING_REMINDER:
        planned(sweeps.meeting_reminders(NOW))
        return one(kind, meeting=coming, recipient=world["specialist"])
    if kind == K.MEETING_CHANGED:
        was = sweeps.describe_meeting(coming)
        coming.date, coming.starts_at = coming.date + timedelta(days=1), time(9, 0)
        coming.change_reason = "The hall is booked for a concert."
        coming.save()
        planned(sweeps.meeting_change_plans(coming, K.MEETING_CHANGED, was=was))
        return one(kind, recipient=world["specialist"])
    if kind == K.MEETING_CANCELLED:
        coming.state = MeetingState.CANCELLED
        coming.change_reason = "The specialist is ill."
        coming.save()
        planned(
            sweeps.meeting_change_plans(
                coming, K.MEETING_CANCELLED, was=sweeps.describe_meeting(coming)
            )
        )
        return one(kind, recipient=world["specialist"])
    if kind in (K.LOG_DUE, K.LOG_OVERDUE):
        planned(sweeps.log_nudges(NOW))
        return one(kind, meeting=world["past"])
    if kind == K.WINDOW_OPEN:
        planned(sweeps.windows_opening(TODAY))
        return one(kind, recipient=world["newcomer_head"])
    if kind == K.NEXT_STAGE:
        participation = ParticipationFactory(school=world["newcomer"], year=year(2025))
        planned(sweeps.next_stage_plans(participation))
        return one(kind)
    if kind == K.CLAIM_DEADLINE:
        planned(sweeps.claim_deadlines(TODAY))
        return one(kind, school=world["first"])
    if kind == K.CLAIM:
        return plan_claim(world, "approved")
    raise AssertionError(kind)  # pragma: no cover


def without_account(notice: Notice) -> Notice:
    """The same notice to someone with no portal account (a participating teacher)."""
    notice.pk = None
    notice.email = "no.account@school.example"
    notice.recipient = None
    notice.recipient_name = "Alex Teacher"
    notice.save()
    return notice


def rendered(notice: Notice) -> dict:
    message = delivery.build_message(notice)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"

    return {"subject": message.subject, "text": message.body, "html": html, "message": message}


MAIL_KINDS = [k for k in K.values if k != K.APPLICATION]  # applications have their own
MEETING_MAILS = (K.MEETING_REMINDER, K.MEETING_CHANGED, K.MEETING_CANCELLED)


@pytest.mark.parametrize("kind", MAIL_KINDS)
@pytest.mark.parametrize("account", [True, False], ids=["with-account", "no-account"])
def test_every_kind_renders_subject_text_and_html(world, kind, account):
    notice = make(world, kind)
    assert notice is not None, f"nothing planned for {kind}"
    if not account:
        notice = without_account(notice)
    mail = rendered(notice)
    text, html = mail["text"], mail["html"]

    assert mail["subject"].startswith("[Maths Hubs Programme Portal] ")
    assert len(mail["subject"]) > len("[Maths Hubs Programme Portal] ") + 10
    assert "\n" not in mail["subject"]
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "Maths Hubs Programme Portal" in text and "Maths Hubs Programme Portal" in html
    # Each mail says why the person got it, in both parts.
    assert "Why you got this email:" in text and "Why you got this email:" in html
    # Nothing left unrendered, and no Python None shown to anyone.
    for part in (mail["subject"], text, html):
        assert "{{" not in part and "{%" not in part and "None" not in part
    # Plain text is not HTML-escaped; the HTML is.
    for part in (mail["subject"], text):
        assert "&amp;" not in part and "&#x27;" not in part and "&lt;" not in part
    assert "<script" not in html

    link = delivery.link_for(notice, delivery.subject_of(notice))
    if account:
        assert link.startswith(SITE + "/")
        assert link in text and f'href="{link}"' in html
    else:
        assert link == ""

    preferences = SITE + reverse("notices:preferences")
    if kind in OPTIONAL_KINDS:
        assert preferences in text and f'href="{preferences}"' in html
    else:
        assert preferences not in text and preferences not in html


@pytest.mark.parametrize("kind", MEETING_MAILS)
def test_meeting_mails_say_when_and_where_and_attach_the_calendar_file(world, kind):
    mail = rendered(make(world, kind))
    meeting = world["coming"]
    meeting.refresh_from_db()
    day = f"{meeting.date:%A} {meeting.date.day} {meeting.date:%B %Y}"
    for part in (mail["text"], mail["html"]):
        assert day in part
        assert f"{meeting.starts_at:%H:%M} to 16:00" in part
        assert "1 Church Lane, Manchester, M1 1AA" in part
        assert "calendar file (meeting.ics)" in part
        assert world["group"].code in part
    assert SCHOOL_NAME in mail["text"]
    assert "St Mary&#x27;s &amp; St John&#x27;s Primary School" in mail["html"]
    [(name, content, mimetype)] = mail["message"].attachments
    assert name == "meeting.ics" and mimetype.startswith("text/calendar")
    assert "BEGIN:VEVENT" in content


def test_an_online_meeting_reminder_gives_the_link_to_join(world):
    planned(sweeps.meeting_reminders(NOW + timedelta(days=13)))  # 7 days before it
    notice = one(K.MEETING_REMINDER, meeting=world["online"], recipient__isnull=True)
    mail = rendered(notice)
    assert f"Online: {ONLINE_LINK}" in mail["text"]
    assert f'href="{ONLINE_LINK}"' in mail["html"]
    # A participant (no account) hears why: their school put them forward.
    assert f"{notice.school.name} put you forward" in mail["text"]


def test_the_reminder_to_a_participant_has_no_portal_link_but_the_leads_does(world):
    planned(sweeps.meeting_reminders(NOW))
    teacher = one(K.MEETING_REMINDER, meeting=world["coming"], recipient__isnull=True)
    lead = one(K.MEETING_REMINDER, meeting=world["coming"], recipient=world["specialist"])
    teacher_mail, lead_mail = rendered(teacher)["text"], rendered(lead)["text"]
    assert SITE + reverse("groups:meeting", args=[world["coming"].pk]) in lead_mail
    assert "See the meeting on the portal" not in teacher_mail
    assert "you lead work group" in lead_mail
    assert "Your headteacher can stop these reminders for you" in teacher_mail


def test_a_changed_meeting_says_what_it_was_and_why(world):
    mail = rendered(make(world, K.MEETING_CHANGED))
    was = "Monday 30 November 2026, 13:30 to 16:00, at " + SCHOOL_NAME
    assert f"It was: {was}." in mail["text"]
    assert "Why it changed: The hall is booked for a concert." in mail["text"]
    assert "Tuesday 1 December 2026, 09:00 to 16:00" in mail["text"]
    assert "Meeting changed" in mail["subject"]
    assert "The hall is booked for a concert." in mail["html"]


def test_a_cancelled_meeting_says_so_and_why(world):
    mail = rendered(make(world, K.MEETING_CANCELLED))
    assert "Meeting cancelled" in mail["subject"]
    assert "is cancelled" in mail["text"]
    assert "Why it is cancelled: The specialist is ill." in mail["text"]
    assert "STATUS:CANCELLED" in mail["message"].attachments[0][1]


def test_log_nudges_name_the_meeting_and_the_specialist(world):
    due = rendered(make(world, K.LOG_DUE))
    assert SITE + reverse("groups:log", args=[world["past"].pk]) in due["text"]
    assert "you lead work group" in due["text"]
    overdue = rendered(one(K.LOG_OVERDUE, meeting=world["past"]))
    assert "The group is led by Sam Specialist" in overdue["text"]
    assert "you are a hub lead of Abacus North West Maths Hub" in overdue["text"]
    assert not due["message"].attachments and not overdue["message"].attachments


def test_window_open_names_the_stage_dates_and_school(world):
    mail = rendered(make(world, K.WINDOW_OPEN))
    assert "Development Work Group" in mail["subject"]
    assert "Rowan Tree Primary School can apply" in mail["text"]
    closes = TODAY + timedelta(60)
    assert f"Applications close on {closes:%A} {closes.day} {closes:%B %Y}" in mail["text"]
    assert "you are a headteacher of Rowan Tree Primary School" in mail["text"]


def test_next_stage_lists_what_the_completion_opened(world):
    notice = make(world, K.NEXT_STAGE)
    mail = rendered(notice)
    for item in notice.context["opened"]:
        assert f"- {item[0].upper()}{item[1:]}" in mail["text"]
    assert notice.context["completed"] in mail["text"]


def test_claim_deadline_lists_what_is_owed_and_when(world):
    notice = make(world, K.CLAIM_DEADLINE)
    mail = rendered(notice)
    assert notice.context["owed"]
    for item in notice.context["owed"]:
        assert f"- {item}" in mail["text"] and item in mail["html"]
    assert "Monday 7 December 2026, in 14 days" in mail["text"]
    assert "Claim by 7 December 2026" in mail["subject"]


@pytest.mark.parametrize(
    ("occasion", "says"),
    [
        ("approved", ["approved", "Award:   £1,000.00", "Thank you: all in order."]),
        ("returned", ["returned", "Please add the finance contact's email address."]),
        ("rejected", ["rejected", "The school has already had the grant this year."]),
        ("paid", ["paid", "Paid: £1,000.00"]),
    ],
)
def test_claim_mails_say_the_decision(world, occasion, says):
    notice = plan_claim(world, occasion)
    mail = rendered(notice)
    claim = delivery.subject_of(notice)
    assert f"Claim {claim.reference} " in mail["subject"]
    assert says[0] in mail["subject"]
    for words in says:
        assert words in mail["text"]
    assert SITE + reverse("funding:claim", args=[claim.pk]) in mail["text"]
    # Bank details never go by email.
    for part in (mail["text"], mail["html"]):
        assert "12345678" not in part and "309430" not in part


@pytest.mark.parametrize("kind", MAIL_KINDS)
def test_no_url_in_a_mail_carries_a_secret(world, kind):
    """Portal links are plain page addresses: no token, no query string; the only
    other address is the meeting's own online link."""
    mail = rendered(make(world, kind))
    for part in (mail["text"], mail["html"]):
        for url in re.findall(r"https?://[^\s\"'<>]+", part):
            if url == ONLINE_LINK:
                continue
            assert url.startswith(SITE), url
            assert "?" not in url and "token" not in url.lower() and ".ics" not in url, url
