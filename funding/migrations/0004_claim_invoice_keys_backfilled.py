"""Claims saved before invoice keys existed get theirs, so the duplicate-invoice rule
(``claim_invoice_once_per_school``) covers them too.

If two live claims of one school already share an invoice, the migration stops and
names them: a person must reject one of them before the rule can hold."""

from django.db import migrations


def _key(number: str) -> str:
    # The same normalisation as funding.assurance.invoice_key, frozen here.
    return "".join(number.split()).casefold()[:60]


def backfill(apps, schema_editor):
    Claim = apps.get_model("funding", "Claim")
    seen: dict[tuple[int, str], int] = {}
    clashes: list[str] = []
    changed = []
    for claim in Claim.objects.exclude(invoice_number="").order_by("pk").iterator():
        key = _key(claim.invoice_number)
        if claim.state != "rejected" and key:
            first = seen.setdefault((claim.school_id, key), claim.pk)
            if first != claim.pk:
                clashes.append(f"C{claim.pk:06d} repeats C{first:06d}")
                continue
        if claim.invoice_key != key:
            claim.invoice_key = key
            changed.append(claim)
    if clashes:
        raise RuntimeError(
            "Live claims of one school share an invoice number; reject one of each pair "
            "and migrate again: " + ", ".join(clashes)
        )
    Claim.objects.bulk_update(changed, ["invoice_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("funding", "0003_assurance_samples_checks_clawbacks"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
