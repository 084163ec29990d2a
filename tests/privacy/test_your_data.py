"""Your data: a person sees and downloads the personal data the portal holds about them,
and nothing of anyone else's; bank details are masked, secrets never appear, and the
pages are closed while a support view-as runs."""

import io
import json
import zipfile

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding import services as funding_services
from funding.models import Claim
from hubportal.accounts.models import Invitation, Membership, SupportSession
from hubportal.accounts.services import invitation_create
from hubportal.notices.models import Notice, NoticePreference
from tests.factories import (
    ClaimWindowFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    MeetingFactory,
    SchoolFactory,
    SubmittedApplicationFactory,
    UserFactory,
    group_with_schools,
    pdf_upload,
    year,
)
from workgroups.models import Attendance, CalendarFeed, Participant

pytestmark = pytest.mark.django_db

PAGE = reverse("privacy:your_data")
JSON = reverse("privacy:download_json")
ZIP = reverse("privacy:download_zip")


def download(client, person) -> dict:
    client.force_login(person)
    response = client.get(JSON)
    assert response.status_code == 200
    return json.loads(response.content)


def claim_for(school, head, **fields) -> Claim:
    defaults = {
        "school": school,
        "hub": school.hub,
        "year": year(2026),
        "kind": "match",
        "created_by": head,
        "payee_name": f"{school.name} main account",
        "sort_code": "309430",
        "account_number": "12345678",
        "finance_email": "finance@school.example",
    }
    return Claim.objects.create(**{**defaults, **fields})


@pytest.fixture
def other_head(other_school):
    """A headteacher of another hub's school, with data of their own that must never
    show in anyone else's download."""
    head = HeadteacherFactory(
        school=other_school,
        user=UserFactory(email="other.head@other.example", full_name="Olive Otherhead"),
    ).user
    DraftApplicationFactory(school=other_school, created_by=head, participants=0)
    Participant.objects.create(
        application=other_school.applications.get(),
        position=1,
        name="Tomasz Elsewhere",
        email="tomasz@other.example",
        job_role="Class teacher",
    )
    claim_for(
        other_school,
        head,
        payee_name="Otherschool Secret Account",
        sort_code="401122",
        account_number="87654321",
        finance_email="money@other.example",
    )
    Notice.objects.create(
        kind="claim",
        subject_type="claim",
        subject_id=999,
        occasion="approved",
        email=head.email,
        recipient=head,
    )
    NoticePreference.objects.create(email=head.email, reminders=False)
    return head


# ---------------------------------------------------------------------------
# Who may open it


@pytest.mark.parametrize("url", [PAGE, JSON, ZIP])
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("role", ["headteacher", "hub_lead", "specialist", "national_admin"])
def test_every_role_sees_the_page_listing_each_kind_of_data(client, request, role):
    person = request.getfixturevalue(role)
    client.force_login(person)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert '<h1 class="govuk-heading-l">Your data</h1>' in page
    assert person.email in page
    assert 'id="section-claims"' in page
    assert 'id="section-history"' in page
    assert f'href="{JSON}"' in page
    # The link is in the person's own menu.
    assert f'href="{PAGE}"' in page


@pytest.mark.parametrize("role", ["headteacher", "hub_lead", "specialist", "national_admin"])
def test_every_roles_download_holds_their_account_and_role(client, request, role):
    person = request.getfixturevalue(role)
    membership = Membership.objects.get(user=person)

    data = download(client, person)

    assert data["account"] == [
        {
            "full_name": person.full_name,
            "email": person.email,
            "other_email_addresses": "",
            "email_verified": True,
            "account_open": True,
            "joined_at": data["account"][0]["joined_at"],
            "last_signed_in_at": data["account"][0]["last_signed_in_at"],
            "two_factor_set_up": False,
            "two_factor_methods": "",
            "two_factor_last_used_at": None,
        }
    ]
    assert [m["role"] for m in data["memberships"]] == [membership.get_role_display()]
    assert data["memberships"][0]["place"] == membership.place_name


# ---------------------------------------------------------------------------
# What each role's download holds


def test_a_headteachers_download_holds_their_applications_teachers_claims_and_notices(
    client, hub, school, headteacher, hub_lead, other_head
):
    ClaimWindowFactory(hub=hub)
    application = SubmittedApplicationFactory(
        school=school, created_by=headteacher, participants=0, state="accepted"
    )
    Participant.objects.create(
        application=application,
        position=1,
        name="Amira Named",
        email="amira@school.example",
        job_role="Maths lead",
        trn="1234567",
    )
    # A teacher another headteacher of the same school named: the school's teacher data.
    colleague = HeadteacherFactory(school=school).user
    earlier = SubmittedApplicationFactory(
        school=school, created_by=colleague, year=year(2025), participants=0, state="declined"
    )
    Participant.objects.create(
        application=earlier,
        position=1,
        name="Ben Colleague",
        email="ben@school.example",
        job_role="Class teacher",
    )
    claim = funding_services.claim_start(actor=headteacher, school=school, kind="grant")
    claim = funding_services.claim_save(
        actor=headteacher,
        claim=claim,
        payee_name="Alder Primary main account",
        sort_code="309430",
        account_number="12345678",
        finance_email="finance@alder.example",
    )
    match = claim_for(school, headteacher, account_number="11112222")
    funding_services.evidence_add(
        actor=headteacher, claim=match, upload=pdf_upload("Invoice 42.pdf")
    )
    Notice.objects.create(
        kind="application",
        subject_type="application",
        subject_id=application.pk,
        occasion="submitted",
        email=headteacher.email.upper(),
        recipient=None,
    )
    NoticePreference.objects.create(email=headteacher.email, opportunities=False)
    SupportSession.objects.create(
        viewer=hub_lead,
        target=headteacher,
        membership=Membership.objects.get(user=headteacher),
        role="headteacher",
        place=school.name,
    )

    data = download(client, headteacher)

    assert [a["id"] for a in data["applications"]] == [application.pk]
    assert data["applications"][0]["your_part"] == "started, submitted"
    assert {p["name"] for p in data["participants"]} == {"Amira Named", "Ben Colleague"}
    by_name = {p["name"]: p for p in data["participants"]}
    assert by_name["Amira Named"]["trn"] == "1234567"
    assert by_name["Amira Named"]["email"] == "amira@school.example"
    by_reference = {c["reference"]: c for c in data["claims"]}
    assert set(by_reference) == {claim.reference, match.reference}
    grant = by_reference[claim.reference]
    assert grant["payee_name"] == "Alder Primary main account"
    assert grant["sort_code"] == "30-94-30"
    assert grant["account_number"] == "****5678"
    assert grant["your_part"] == "made"
    assert [e["file_name"] for e in data["evidence"]] == ["Invoice 42.pdf"]
    assert len(data["evidence"][0]["sha256"]) == 64
    assert [n["occasion"] for n in data["notices"]] == ["submitted"]
    assert data["notice_preferences"][0]["opportunities"] is False
    assert data["support_sessions_about_you"][0]["viewed_by"] == hub_lead.get_full_name()
    history = {(h["record"], h["reason"]): h["count"] for h in data["history"]}
    assert history[("claim", "Started the claim")] == 1
    assert history[("claim", "Saved answers")] == 1
    assert history[("evidence", "Added evidence")] == 1
    # Full account numbers appear nowhere, and nor does anything of another school's.
    text = json.dumps(data)
    assert "12345678" not in text
    assert "11112222" not in text
    for other in (
        "87654321",
        "Otherschool Secret Account",
        "money@other.example",
        "Tomasz Elsewhere",
        "other.head@other.example",
        "Olive Otherhead",
    ):
        assert other not in text


def test_a_hub_leads_download_holds_their_invitations_and_decisions_without_payee_details(
    client, hub, school, hub_lead, other_head
):
    invitation_create(
        actor=hub_lead,
        email="new.head@school.example",
        full_name="Nia Newhead",
        role="headteacher",
        school=school,
    )
    head = HeadteacherFactory(school=school).user
    claim = claim_for(school, head, payee_name="Alder Account", account_number="55556666")
    Claim.objects.filter(pk=claim.pk).update(
        state="rejected",
        decided_by=hub_lead,
        decided_at=timezone.now(),
        decision_reason="The invoice is for exercise books.",
    )
    decided = SubmittedApplicationFactory(school=school, created_by=head, participants=0)
    decided.state, decided.decided_by, decided.decision_reason = "declined", hub_lead, "Full"
    decided.save()

    data = download(client, hub_lead)

    assert [(i["to_name"], i["to_email"]) for i in data["invitations_sent"]] == [
        ("Nia Newhead", "new.head@school.example")
    ]
    assert [c["reference"] for c in data["claims"]] == [claim.reference]
    decided_claim = data["claims"][0]
    assert decided_claim["your_part"] == "decided"
    assert decided_claim["decision_reason"] == "The invoice is for exercise books."
    # Another person's payee details: none, not even masked.
    for field in ("payee_name", "sort_code", "account_number", "finance_email"):
        assert decided_claim[field] == ""
    assert data["applications"][0]["your_part"] == "decided"
    assert data["applications"][0]["contact_name"] == ""
    assert data["participants"] == []
    text = json.dumps(data)
    assert "Alder Account" not in text and "6666" not in text
    assert "87654321" not in text and "Olive Otherhead" not in text


def test_the_invited_person_sees_the_invitation_sent_to_them(client, school, hub_lead):
    invitation_create(
        actor=hub_lead,
        email="nia@school.example",
        full_name="Nia",
        role="headteacher",
        school=school,
    )
    nia = HeadteacherFactory(school=school, user=UserFactory(email="nia@school.example")).user

    data = download(client, nia)

    assert [i["invited_by"] for i in data["invitations_received"]] == [hub_lead.get_full_name()]
    assert "token" not in json.dumps(data).lower()
    assert Invitation.objects.get().token_hash not in json.dumps(data)


def test_a_specialists_download_holds_their_groups_and_the_attendance_they_logged(
    client, hub, specialist
):
    group = group_with_schools(hub, schools=1, lead=specialist)
    meeting = MeetingFactory(work_group=group, notes="Bar models went well")
    for participant in Participant.objects.filter(application__group_member__work_group=group):
        Attendance.objects.create(meeting=meeting, participant=participant, status="present")
    meeting.logged_at, meeting.logged_by = timezone.now(), specialist
    meeting.save()
    CalendarFeed.objects.create(user=specialist)

    data = download(client, specialist)

    assert [g["code"] for g in data["work_groups_led"]] == [group.code]
    assert [m["notes"] for m in data["meetings_logged"]] == ["Bar models went well"]
    assert len(data["attendance_logged"]) == 2
    assert {a["status"] for a in data["attendance_logged"]} == {"Present"}
    assert data["calendar_feed"] == [
        {"has_private_calendar_address": True, "created_at": data["calendar_feed"][0]["created_at"]}
    ]
    assert CalendarFeed.objects.get().token not in json.dumps(data)


def test_a_national_admins_two_factor_sign_in_shows_as_set_up_without_its_secret(
    client, national_admin
):
    secret = "JBSWY3DPEHPK3PXPSECRETVALUE"
    Authenticator.objects.create(user=national_admin, type="totp", data={"secret": secret})
    Authenticator.objects.create(
        user=national_admin, type="recovery_codes", data={"seed": "recovery-seed-value"}
    )

    data = download(client, national_admin)

    assert data["account"][0]["two_factor_set_up"] is True
    assert data["account"][0]["two_factor_methods"] == "Authenticator app, Recovery codes"
    text = json.dumps(data)
    assert secret not in text and "recovery-seed-value" not in text
    assert national_admin.password not in text


def test_a_person_named_as_a_teacher_sees_where(client, hub, school, specialist):
    application = DraftApplicationFactory(school=school, participants=0)
    Participant.objects.create(
        application=application,
        position=1,
        name="Sam Specialist",
        email=specialist.email.upper(),
        job_role="Maths lead",
    )

    data = download(client, specialist)

    assert [p["name"] for p in data["named_as_participant"]] == ["Sam Specialist"]
    assert data["participants"] == []


def test_another_persons_data_never_appears(client, headteacher, other_head):
    data = download(client, headteacher)

    assert data["claims"] == [] and data["applications"] == [] and data["notices"] == []
    assert data["notice_preferences"] == [] and data["participants"] == []
    text = json.dumps(data)
    for other in ("other.head@other.example", "Olive Otherhead", "87654321", "Tomasz"):
        assert other not in text


# ---------------------------------------------------------------------------
# The files


def test_the_json_download_is_an_attachment_named_by_the_date(client, headteacher):
    client.force_login(headteacher)

    response = client.get(JSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        f'attachment; filename="your-data-{today:%Y-%m-%d}.json"'
    )
    assert response["Cache-Control"] == "private, no-store"
    document = json.loads(response.content)
    assert document["account"][0]["email"] == headteacher.email
    assert set(document["sections"]) >= {"account", "claims", "history"}


def test_the_zip_download_holds_the_json_and_a_csv_per_section(client, school, headteacher):
    claim_for(school, headteacher)
    client.force_login(headteacher)

    response = client.get(ZIP)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"your-data.json", "account.csv", "claims.csv", "history.csv"} <= names
    claims_csv = archive.read("claims.csv").decode("utf-8-sig").splitlines()
    assert claims_csv[0].startswith("reference,school,kind")
    assert "****5678" in claims_csv[1]
    assert "12345678" not in archive.read("claims.csv").decode("utf-8-sig")
    assert archive.read("evidence.csv") == "\ufeff".encode()


# ---------------------------------------------------------------------------
# Support view-as


def test_the_pages_are_refused_while_viewing_as_someone(client, hub_lead, headteacher):
    client.force_login(hub_lead)
    started = client.post(
        reverse("support:view_as"),
        {"membership": Membership.objects.get(user=headteacher).pk},
    )
    assert started.status_code == 302

    for url in (PAGE, JSON, ZIP):
        response = client.get(url)
        assert response.status_code == 403
        assert "application/json" not in response["Content-Type"]
        assert headteacher.email not in response.content.decode().split("<main")[1]
    home = client.get(reverse("home")).content.decode()
    assert f'href="{PAGE}"' not in home


# ---------------------------------------------------------------------------
# Queries


def _queries_for_download(client, person) -> int:
    client.force_login(person)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(JSON).status_code == 200
    return len(queries)


def _add_claims_and_notices(school, head, count: int) -> None:
    for n in range(count):
        claim_for(school, head, invoice_number=f"INV-{head.pk}-{n}")
        Notice.objects.create(
            kind="claim",
            subject_type="claim",
            subject_id=head.pk * 100 + n,
            occasion="approved",
            email=head.email,
            recipient=head,
        )


def test_the_downloads_queries_do_not_grow_with_claims_and_notices(client, hub):
    one_school, ten_school = SchoolFactory(hub=hub), SchoolFactory(hub=hub)
    one = HeadteacherFactory(school=one_school).user
    ten = HeadteacherFactory(school=ten_school).user
    _add_claims_and_notices(one_school, one, 1)
    _add_claims_and_notices(ten_school, ten, 10)

    with_one = _queries_for_download(client, one)
    with_ten = _queries_for_download(client, ten)

    assert with_one == with_ten
    assert len(download(client, ten)["claims"]) == 10
    assert len(download(client, ten)["notices"]) == 10
