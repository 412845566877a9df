"""DRF permissions and view decorators built on helpdesk.roles."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from helpdesk.roles import ADMIN, MANAGER, OPERATOR, has_role


class _RolePermission(BasePermission):
    role = OPERATOR

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, self.role)


class IsOperator(_RolePermission):
    role = OPERATOR


class IsManager(_RolePermission):
    role = MANAGER


class IsAdmin(_RolePermission):
    role = ADMIN


class _ReadWritePermission(BasePermission):
    read_role = OPERATOR
    write_role = ADMIN

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return has_role(request.user, self.read_role)
        return has_role(request.user, self.write_role)


class OperatorReadsAdminWrites(_ReadWritePermission):
    """Configuration operators pick from (teams, agents, tags): they read, admins change."""

    read_role = OPERATOR
    write_role = ADMIN


class ManagerReadsAdminWrites(_ReadWritePermission):
    read_role = MANAGER
    write_role = ADMIN


def role_required(role: str):
    """Page decorator: anonymous users go to the login page, users without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
