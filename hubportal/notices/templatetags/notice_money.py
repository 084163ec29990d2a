"""``{{ claim.award_pence|pence }}`` → "£1,234.50" in the notice mails (money is held
as whole pence; ``funding.money.format_pence`` says how it is shown)."""

from django import template

from funding.money import format_pence

register = template.Library()


@register.filter
def pence(value) -> str:
    """Whole pence as pounds; "" for None."""
    return format_pence(value)
