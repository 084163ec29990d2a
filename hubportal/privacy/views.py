"""Your data: anyone signed in sees the kinds of personal data the portal holds about
them and downloads it all, as one JSON file or a zip with a CSV per section.

The pages are about the person signed in, never about the role they act in, so every
role sees the same page. While a support "view as" runs they are refused: the viewer
must not take away another person's data, and the person viewed must not have their
data shown to someone else's download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from hubportal.privacy import services


def _refused_while_viewing_as(request):
    if getattr(request, "support_session", None) is not None:
        return render(request, "privacy/unavailable.html", status=403)
    return None


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def your_data(request):
    refused = _refused_while_viewing_as(request)
    if refused:
        return refused
    data = services.personal_data(person=request.user)
    sections = [
        {"key": key, "label": label, "count": len(data[key])} for key, label in services.SECTIONS
    ]
    return _private(render(request, "privacy/your_data.html", {"sections": sections}))


def _download(request, *, extension: str, content_type: str, build):
    refused = _refused_while_viewing_as(request)
    if refused:
        return refused
    now = timezone.now()
    body = build(services.personal_data(person=request.user), generated_at=now)
    response = HttpResponse(body, content_type=content_type)
    filename = f"your-data-{timezone.localdate(now):%Y-%m-%d}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


@login_required
@require_safe
def download_json(request):
    return _download(
        request, extension="json", content_type="application/json", build=services.as_json
    )


@login_required
@require_safe
def download_zip(request):
    return _download(
        request, extension="zip", content_type="application/zip", build=services.as_zip
    )
