"""Placeholder: being written."""

from django.http import Http404


def my_groups(request):
    raise Http404


def group_detail(request, pk):
    raise Http404


def schedule(request, pk):
    raise Http404


def meeting_detail(request, pk):
    raise Http404


def reschedule(request, pk):
    raise Http404


def cancel(request, pk):
    raise Http404


def log_attendance(request, pk):
    raise Http404
