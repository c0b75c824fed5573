"""The one access rule for everything inside a benchmark.

Outsiders (no membership) get 404, so they cannot even learn that a benchmark exists; members
without the needed role get 403.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from curation.models import Benchmark, Membership, Role


@dataclass(frozen=True)
class BenchmarkAccess:
    benchmark: Benchmark
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_manager(self) -> bool:
        return Role.MANAGER in self.roles


def roles_by_benchmark(user) -> dict[Benchmark, frozenset[str]]:
    """The user's benchmarks with their roles in each, in one query.

    Kept on the user object: the access check and the header of a page both ask for it, and
    request.user lives for one request.
    """
    roles = getattr(user, "_roles_by_benchmark", None)
    if roles is None:
        found: dict[Benchmark, set[str]] = {}
        for membership in Membership.objects.filter(user=user).select_related("benchmark"):
            found.setdefault(membership.benchmark, set()).add(membership.role)
        roles = {benchmark: frozenset(held) for benchmark, held in found.items()}
        user._roles_by_benchmark = roles
    return roles


def benchmark_access(user, slug: str, *required_roles: str) -> BenchmarkAccess:
    """Return the user's access to the benchmark, requiring one of `required_roles` if given."""
    if not user.is_authenticated:
        raise Http404
    found = [(b, roles) for b, roles in roles_by_benchmark(user).items() if b.slug == slug]
    if not found:
        raise Http404
    benchmark, roles = found[0]
    access = BenchmarkAccess(benchmark=benchmark, roles=roles)
    if required_roles and not access.has(*required_roles):
        raise PermissionDenied
    return access
