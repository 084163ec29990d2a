# Placeholder views: replaced by the directory work.
from django.http import HttpResponse


def directory(request):
    return HttpResponse("directory")


def detail(request, urn):
    return HttpResponse("school")
