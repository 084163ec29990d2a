"""Pounds and pence: typed as text, held as whole pence, shown as £1,234.56."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation

# ASCII digits only (re.ASCII): other scripts' digits are not an amount to pay.
_TYPED = re.compile(r"^£?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$", re.ASCII)


def parse_pounds(text: str) -> int:
    """'£1,234.5' → 123450. Raises ValueError with a message a person can act on."""
    cleaned = (text or "").strip().replace(" ", "")
    if not cleaned:
        raise ValueError("Enter an amount in pounds and pence, like 1250.00")
    if cleaned.startswith("-"):
        raise ValueError("Enter an amount greater than zero")
    if not _TYPED.match(cleaned):
        raise ValueError("Enter an amount in pounds and pence, like 1250.00")
    try:
        amount = Decimal(cleaned.lstrip("£").replace(",", ""))
    except InvalidOperation as error:  # pragma: no cover - the pattern already refuses these
        raise ValueError("Enter an amount in pounds and pence, like 1250.00") from error
    return int((amount * 100).to_integral_value())


def format_pence(pence: int | None) -> str:
    """123450 → '£1,234.50'; None → ''."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def pence_as_decimal(pence: int) -> Decimal:
    """For exports: pounds as an exact two-place Decimal."""
    return (Decimal(int(pence)) / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def half_of(pence: int) -> int:
    """Match funding pays half of the spend, rounded down to the penny."""
    return int(pence) // 2


def account_last4(account_number: str) -> str:
    """The last four digits of an account number: all a page or download shows."""
    return account_number[-4:] if account_number else ""


def sort_code_shown(sort_code: str) -> str:
    """'112233' → '11-22-33'; anything else as it was typed."""
    if len(sort_code) == 6 and sort_code.isdigit():
        return f"{sort_code[:2]}-{sort_code[2:4]}-{sort_code[4:]}"
    return sort_code
