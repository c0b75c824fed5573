"""API rate limits with rates read from the settings at each request (API_THROTTLE_RATES, from
the environment), not frozen when DRF is imported."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES[self.scope]


class UserThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES[self.scope]
