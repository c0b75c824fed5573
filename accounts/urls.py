from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("tokens/", views.api_tokens, name="api_tokens"),
    re_path(
        r"^tokens/(?P<digest>[0-9a-f]{128})/revoke/$",
        views.api_token_revoke_view,
        name="api_token_revoke",
    ),
]
