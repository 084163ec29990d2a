"""The portal's addresses plus what ``manage.py bench`` compares them with: a bare view
(the floor every request pays) and the benchmark's admin site. Never the ROOT_URLCONF
of a running portal; the bench command switches to it with override_settings."""

from django.http import HttpResponse
from django.urls import include, path

from hubportal.scale.bench_admin import bench_site


def floor(request):
    """A fixed string through the whole middleware stack: no query of its own, no template."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/admin/", bench_site.urls),
    path("", include("hubportal.urls")),
]
