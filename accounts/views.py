"""The account menu's API tokens page: make a named token (shown once), see them, revoke one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke


def _page(request: HttpRequest, form: ApiTokenForm, *, new_token: str = "", status: int = 200):
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token, "now": timezone.now()},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    _token, plain = api_token_create(user=request.user, **form.cleaned_data)
    # The token is shown in this answer only; a reload does not post it again (no redirect).
    response = _page(request, ApiTokenForm(), new_token=plain, status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def api_token_revoke_view(request: HttpRequest, digest: str) -> HttpResponse:
    token = get_object_or_404(ApiToken, digest=digest, user=request.user)
    api_token_revoke(token=token)
    messages.success(request, gettext("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens")
