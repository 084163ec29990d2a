# Placeholder views: replaced by the headteacher-journey work.
from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("not built yet", status=501)


programme = start = detail = section = check_answers = withdraw = _todo
