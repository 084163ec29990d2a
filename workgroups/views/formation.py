"""Placeholder: being written."""

from django.http import Http404


def group_list(request, stage_code, year_slug):
    raise Http404


def propose(request, stage_code, year_slug):
    raise Http404


def manage(request, pk):
    raise Http404
