"""The portal's URLs plus the anchors' trivial view: a benchmark's own URLconf, never the portal's."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    """The least a logged-in page costs here: the middleware, the session and the user, a few bytes of text."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("kedaitong.urls")),
]
