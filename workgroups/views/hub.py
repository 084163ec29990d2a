# Placeholder views: replaced by the hub-lead-journey work.
from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("not built yet", status=501)


cohorts = application_list = accept_many = review = decide = _todo
windows = window_edit = window_toggle = participation = participation_upload = _todo
