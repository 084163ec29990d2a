"""Placeholder: being written."""

from django.http import Http404


def school_groups(request):
    raise Http404


def replace_participant(request, pk):
    raise Http404
