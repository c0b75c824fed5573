"""What the benchmark's web server adds to the production set-up (bench/settings.py): the time
each request spends in Django, as a Server-Timing header, and a trivial page, the floor of every
page (the same server, middleware and login, no work)."""

import time
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


def server_timing(get_response: Callable[[HttpRequest], HttpResponse]):
    """Outermost middleware: `Server-Timing: app;dur=<ms>` from entering Django to leaving it."""

    def middleware(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    return middleware


@require_GET
@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")
