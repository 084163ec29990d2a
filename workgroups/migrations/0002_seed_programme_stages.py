"""The four stages of the primary Teaching for Mastery journey, as rows."""

from django.db import migrations

STAGES = [
    {
        "code": "mr",
        "short_code": "MR",
        "name": "Mastery Readiness",
        "order": 1,
        "summary": (
            "A year of workshops and school visits for schools that want to adopt teaching "
            "for mastery but would benefit from a staged approach. School leaders draw up an "
            "action plan with their Mastery Readiness Lead."
        ),
        "typical_min_schools": 1,
        "typical_max_schools": 8,
        "hard_max_schools": 8,
        "participants_per_school": 2,
        "requires_maths_lead": True,
        "requires_action_plan": True,
        "once_only": False,
        "headteacher_commitment": "The headteacher attends at least the first workshop",
    },
    {
        "code": "dwg",
        "short_code": "DWG",
        "name": "Development Work Group",
        "order": 2,
        "summary": (
            "Two teachers from each of six or seven local schools meet six times in the "
            "year to plan, observe and discuss lessons, led by a Mastery Specialist. "
            "The school receives £1,000 towards supply cover and may claim textbook "
            "match funding."
        ),
        "typical_min_schools": 6,
        "typical_max_schools": 7,
        "hard_max_schools": 8,
        "participants_per_school": 2,
        "requires_maths_lead": False,
        "requires_action_plan": False,
        "once_only": True,
        "headteacher_commitment": "The headteacher attends the launch and the final meeting",
    },
    {
        "code": "emb",
        "short_code": "EMB",
        "name": "Embedding",
        "order": 3,
        "summary": (
            "A whole-school year embedding teaching for mastery in every classroom, with "
            "the schools that worked together in Development, led by a Mastery Specialist."
        ),
        "typical_min_schools": 6,
        "typical_max_schools": 7,
        "hard_max_schools": 8,
        "participants_per_school": 2,
        "requires_maths_lead": False,
        "requires_action_plan": False,
        "once_only": False,
        "headteacher_commitment": "The headteacher attends the leadership workshops",
    },
    {
        "code": "sus",
        "short_code": "SUS",
        "name": "Sustaining",
        "order": 4,
        "summary": (
            "Six workshops a year for schools that completed Development or Embedding, the "
            "first at the Mastery Specialist's school. Schools may take part every year."
        ),
        "typical_min_schools": 6,
        "typical_max_schools": 7,
        "hard_max_schools": 8,
        "participants_per_school": 2,
        "requires_maths_lead": False,
        "requires_action_plan": False,
        "once_only": False,
        "headteacher_commitment": "The headteacher attends the first workshop",
    },
]


def seed(apps, schema_editor):
    Stage = apps.get_model("workgroups", "ProgrammeStage")
    by_code = {}
    for data in STAGES:
        stage, _ = Stage.objects.update_or_create(code=data["code"], defaults=data)
        by_code[stage.code] = stage
    by_code["dwg"].priority_after = by_code["mr"]
    by_code["dwg"].save(update_fields=["priority_after"])
    by_code["emb"].prerequisites.set([by_code["dwg"]])
    by_code["sus"].prerequisites.set([by_code["dwg"], by_code["emb"]])


def unseed(apps, schema_editor):
    apps.get_model("workgroups", "ProgrammeStage").objects.filter(
        code__in=[s["code"] for s in STAGES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workgroups", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
