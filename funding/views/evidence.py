"""Proof of purchase, served privately: only to the school's headteacher, the leads
of the claim's hub and national admins (``Evidence.objects.visible_to``); to anyone
else the file does not exist (404).

Files are served inline, so a PDF or an image opens in the browser's own viewer in a
new tab (the site refuses to be framed). The stored type was found by reading the
file's first bytes at upload, and the browser is told not to second-guess it."""

from __future__ import annotations

import unicodedata

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from funding.models import Evidence

EXTENSIONS = {
    Evidence.Kind.PDF: (".pdf",),
    Evidence.Kind.PNG: (".png",),
    Evidence.Kind.JPEG: (".jpg", ".jpeg"),
}
UNSAFE = set('"\\/;:*?<>|')


def safe_filename(original: str, content_type: str) -> str:
    """The name the school gave the file, without anything that could break out of
    the header or mislead the person saving it: no control characters, quotes,
    slashes or semicolons, and an extension that matches what the file really is."""
    cleaned = "".join(
        "_" if ch in UNSAFE or unicodedata.category(ch)[0] == "C" else ch
        for ch in original.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    ).strip(" .")
    extensions = EXTENSIONS.get(content_type, ())
    name = (cleaned or "evidence")[:150]
    if extensions and not name.lower().endswith(extensions):
        name = f"{name}{extensions[0]}"
    return name


@login_required
@require_safe
def download(request, pk: int):
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        as_attachment=False,
        filename=safe_filename(evidence.original_name, evidence.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
