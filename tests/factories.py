"""Factories for the portal's models, named after the states they make."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from hubportal.accounts.models import Membership, Role, User
from schools.models import Hub, HubArea, School

DEMO_PASSWORD = "correct-horse-battery-staple"


class HubFactory(DjangoModelFactory):
    class Meta:
        model = Hub
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Test Hub {n} Maths Hub")
    code = factory.Sequence(lambda n: f"T{n:02d}"[:6])


class HubAreaFactory(DjangoModelFactory):
    class Meta:
        model = HubArea

    hub = factory.SubFactory(HubFactory)
    la_code = factory.Sequence(lambda n: f"{800 + n % 199:03d}")
    la_name = factory.Sequence(lambda n: f"Borough {n}")


class SchoolFactory(DjangoModelFactory):
    """An open primary school in a hub's area."""

    class Meta:
        model = School

    urn = factory.Sequence(lambda n: 200000 + n)
    name = factory.Sequence(lambda n: f"Oakfield Primary School {n}")
    hub = factory.SubFactory(HubFactory)
    la_code = factory.LazyAttribute(
        lambda o: o.hub.areas.first().la_code if o.hub and o.hub.areas.exists() else "999"
    )
    la_name = "Test Borough"
    type_name = "Community school"
    type_group = "Local authority maintained schools"
    status = "Open"
    phase = "Primary"
    statutory_low_age = 4
    statutory_high_age = 11
    pupils = 210
    town = "Testtown"
    postcode = factory.Sequence(lambda n: f"TT{n % 90 + 1} {n % 9}AB")
    easting = factory.Sequence(lambda n: 380000 + n * 250)
    northing = factory.Sequence(lambda n: 400000 + n * 250)


class ClosedSchoolFactory(SchoolFactory):
    status = "Closed"


class SecondarySchoolFactory(SchoolFactory):
    phase = "Secondary"
    statutory_low_age = 11
    statutory_high_age = 16
    name = factory.Sequence(lambda n: f"Ridgeway Academy {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Sign-in needs a verified email address, as an invitation gives."""
        if not create:
            return
        self.save()
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=self, email=self.email, defaults={"verified": True, "primary": True}
        )


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)


class HubLeadFactory(MembershipFactory):
    role = Role.HUB_LEAD
    hub = factory.SubFactory(HubFactory)


class HeadteacherFactory(MembershipFactory):
    role = Role.HEADTEACHER
    school = factory.SubFactory(SchoolFactory)


class SpecialistFactory(MembershipFactory):
    role = Role.SPECIALIST
    hub = factory.SubFactory(HubFactory)
    school = factory.LazyAttribute(lambda o: SchoolFactory(hub=o.hub))


class NationalAdminFactory(MembershipFactory):
    role = Role.NATIONAL_ADMIN
    user = factory.SubFactory(UserFactory, is_staff=True)


# ---------------------------------------------------------------------------
# Applications and participation history


def stage(code: str):
    """A programme stage as the data migration seeds it.

    Transactional tests empty every table afterwards, the migration's rows too,
    so the stages are seeded again from the migration itself when missing."""
    import importlib

    from django.apps import apps

    from workgroups.models import ProgrammeStage

    found = ProgrammeStage.objects.filter(code=code).first()
    if found is None:
        importlib.import_module("workgroups.migrations.0002_seed_programme_stages").seed(apps, None)
        found = ProgrammeStage.objects.get(code=code)
    return found


def year(start_year: int):
    from workgroups.models import AcademicYear

    return AcademicYear.objects.get_or_create(start_year=start_year)[0]


class ApplicationWindowFactory(DjangoModelFactory):
    """A window open from 1 September to 31 July of its year."""

    class Meta:
        model = "workgroups.ApplicationWindow"

    hub = factory.SubFactory(HubFactory)
    stage = factory.LazyFunction(lambda: stage("dwg"))
    year = factory.LazyFunction(lambda: year(2026))
    opens = factory.LazyAttribute(lambda o: o.year.starts)
    closes = factory.LazyAttribute(lambda o: o.year.ends.replace(month=7))
    target_places = 14


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = "workgroups.Participant"

    position = factory.Sequence(lambda n: n % 2 + 1)
    name = factory.Sequence(lambda n: f"Teacher {n}")
    email = factory.Sequence(lambda n: f"teacher{n}@school.example")
    job_role = "Class teacher"
    is_maths_lead = factory.LazyAttribute(lambda o: o.position == 1)


class DraftApplicationFactory(DjangoModelFactory):
    """A draft with every task done, ready to submit."""

    class Meta:
        model = "workgroups.Application"
        skip_postgeneration_save = True

    school = factory.SubFactory(SchoolFactory)
    hub = factory.LazyAttribute(lambda o: o.school.hub)
    stage = factory.LazyFunction(lambda: stage("dwg"))
    year = factory.LazyFunction(lambda: year(2026))
    once_only = factory.LazyAttribute(lambda o: o.stage.once_only)
    state = "draft"
    school_details_confirmed = True
    contact_name = "Pat Head"
    contact_role = "Headteacher"
    commit_release_teachers = True
    commit_headteacher_attends = True
    commit_reports = True
    action_plan_priorities = factory.LazyAttribute(
        lambda o: "Fluency in number facts" if o.stage.requires_action_plan else ""
    )
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):
        if not create:
            return
        count = self.stage.participants_per_school if extracted is None else extracted
        for position in range(1, count + 1):
            ParticipantFactory(application=self, position=position)


class SubmittedApplicationFactory(DraftApplicationFactory):
    state = "submitted"
    declaration = True
    submitted_by = factory.SelfAttribute("created_by")
    submitted_at = factory.LazyFunction(timezone.now)


class WaitlistedApplicationFactory(SubmittedApplicationFactory):
    state = "waitlisted"
    decision_reason = "Places are full; first in line for the next."


class AcceptedApplicationFactory(SubmittedApplicationFactory):
    state = "accepted"


class DeclinedApplicationFactory(SubmittedApplicationFactory):
    state = "declined"
    decision_reason = "The school is outside the hub's area."


class WithdrawnApplicationFactory(SubmittedApplicationFactory):
    state = "withdrawn"


class ParticipationFactory(DjangoModelFactory):
    """A completed stage in an earlier year."""

    class Meta:
        model = "workgroups.Participation"

    school = factory.SubFactory(SchoolFactory)
    stage = factory.LazyFunction(lambda: stage("dwg"))
    year = factory.LazyFunction(lambda: year(2024))
    outcome = "completed"


# ---------------------------------------------------------------------------
# Work groups, meetings and attendance


def group_with_schools(hub, *, schools: int = 7, lead=None, code: str = "dwg", start_year=2026):
    """A confirmed work group of ``schools`` accepted schools of ``hub``, each with
    its participants, formed through the service as a hub lead would."""
    from workgroups.models import GroupMember, WorkGroup

    the_stage, the_year = stage(code), year(start_year)
    number = WorkGroup.objects.filter(hub=hub, stage=the_stage, year=the_year).count() + 1
    group = WorkGroup.objects.create(
        hub=hub,
        stage=the_stage,
        year=the_year,
        number=number,
        code=WorkGroup.make_code(hub, the_stage, the_year, number),
        lead=lead,
    )
    for _ in range(schools):
        application = AcceptedApplicationFactory(
            school=SchoolFactory(hub=hub), stage=the_stage, year=the_year
        )
        GroupMember.objects.create(
            work_group=group,
            school=application.school,
            application=application,
            stage=the_stage,
            year=the_year,
        )
    return group


class MeetingFactory(DjangoModelFactory):
    """A workshop held online, on a date in the group's year."""

    class Meta:
        model = "workgroups.Meeting"

    kind = "workshop"
    date = factory.LazyAttribute(lambda o: o.work_group.year.starts.replace(month=10, day=7))
    starts_at = datetime.time(13, 0)
    ends_at = datetime.time(16, 0)
    online_link = "https://meet.example.org/abc-defg-hij"


# ---------------------------------------------------------------------------
# Funding


class ClaimWindowFactory(DjangoModelFactory):
    """Claims open from 1 September to 30 June of the year."""

    class Meta:
        model = "funding.ClaimWindow"

    hub = factory.SubFactory(HubFactory)
    year = factory.LazyFunction(lambda: year(2026))
    opens = factory.LazyAttribute(lambda o: o.year.starts)
    closes = factory.LazyAttribute(lambda o: o.year.ends.replace(month=6, day=30))


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def pdf_upload(name: str = "invoice.pdf", content: bytes = PDF_BYTES):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


# ---------------------------------------------------------------------------
# Claims ready to submit. One evidence file cannot back two live claims of a school
# (funding.assurance), so every ready claim gets an invoice PDF of its own;
# pdf_upload() itself still gives PDF_BYTES, which the download tests compare against.

_distinct_pdfs = iter(range(1, 10**9))


def distinct_pdf_bytes() -> bytes:
    """PDF_BYTES with a numbered comment: a different file (and SHA-256) each call."""
    return PDF_BYTES + b"%% copy " + str(next(_distinct_pdfs)).encode() + b"\n"


def ready_claim(school, actor, *, kind: str = "match", spend_pence: int = 300_000, **answers):
    """A claim with every answer given (and an invoice of its own for match funding),
    not submitted."""
    from funding import services
    from funding.models import ClaimKind

    claim = services.claim_start(actor=actor, school=school, kind=kind)
    payee = {
        "payee_name": f"{school.name} main account",
        "sort_code": "309430",
        "account_number": "12345678",
        "finance_email": "finance@school.example",
    }
    if kind == ClaimKind.GRANT:
        fields = {"conditions_accepted": True, **payee}
    else:
        fields = {
            "scheme": services.schemes_ensure(year=claim.year)[0],
            "supplier": "Mastery Books Ltd",
            "invoice_number": f"INV-{claim.pk:05d}",
            "invoice_date": claim.year.starts,
            "spend_pence": spend_pence,
            **payee,
        }
    fields.update(answers)
    claim = services.claim_save(actor=actor, claim=claim, **fields)
    if kind == ClaimKind.MATCH:
        services.evidence_add(
            actor=actor, claim=claim, upload=pdf_upload(content=distinct_pdf_bytes())
        )
    return claim


def paid_claims(lead, claims: list) -> list:
    """Submitted claims approved by ``lead``, put in one batch and paid; fresh rows."""
    from funding import services
    from funding.models import Claim

    approved = [services.claim_approve(actor=lead, claim=claim) for claim in claims]
    first = approved[0]
    batch = services.batch_create(actor=lead, hub=first.hub, year=first.year, claims=approved)
    services.batch_mark_paid(actor=lead, batch=batch)
    return list(Claim.objects.filter(pk__in=[c.pk for c in approved]).order_by("pk"))


def school_with_paid_claims(hub, lead, *, match: int = 1, grant: bool = False, **school):
    """A school of ``hub`` (once in a Development Work Group) whose headteacher made
    ``match`` match claims (and the grant claim, if asked), all paid. Returns
    (school, headteacher, claims). Needs an open ClaimWindow for the hub."""
    from funding import services

    found = SchoolFactory(hub=hub, **school)
    AcceptedApplicationFactory(school=found)
    head = HeadteacherFactory(school=found).user
    kinds = ["match"] * match + (["grant"] if grant else [])
    submitted = [
        services.claim_submit(actor=head, claim=ready_claim(found, head, kind=kind))
        for kind in kinds
    ]
    return found, head, paid_claims(lead, submitted)
