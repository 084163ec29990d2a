"""Placeholder: being written."""

from django.http import Http404


def record(request, pk):
    raise Http404
