# Placeholder views: replaced by the invitations work.
from django.http import HttpResponse


def invitation_list(request):
    return HttpResponse("invitations")


def invitation_create(request):
    return HttpResponse("new invitation")


def invitation_accept(request, token):
    return HttpResponse("accept")


def outbox(request):
    return HttpResponse("outbox")
