"""Placeholder: being written."""

from django.http import Http404


def settings_page(request):
    raise Http404


def feed(request, token):
    raise Http404
