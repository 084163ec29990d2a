"""Checks on proof-of-purchase files: by their content, never by their name."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError

from funding.models import EVIDENCE_MAX_BYTES, Evidence

# The first bytes each accepted format must start with.
_SIGNATURES = (
    (b"%PDF-", Evidence.Kind.PDF),
    (b"\x89PNG\r\n\x1a\n", Evidence.Kind.PNG),
    (b"\xff\xd8\xff", Evidence.Kind.JPEG),
)


def sniff(head: bytes) -> str | None:
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def check_upload(upload) -> tuple[str, str]:
    """The file's content type and SHA-256, or a ValidationError naming the file."""
    name = getattr(upload, "name", "the file")
    if upload.size == 0:
        raise ValidationError(f"{name} is empty")
    if upload.size > EVIDENCE_MAX_BYTES:
        megabytes = upload.size / (1024 * 1024)
        raise ValidationError(f"{name} is {megabytes:.1f} MB; each file must be 10 MB or smaller")
    upload.seek(0)
    kind = sniff(upload.read(16))
    if kind is None:
        raise ValidationError(f"{name} is not a PDF, PNG or JPEG file")
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return kind, digest.hexdigest()
