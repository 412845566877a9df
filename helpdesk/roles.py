"""Roles: operator < manager < admin, kept as Django groups.

A user's role is the highest group they belong to; superusers are admins.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

OPERATOR = "operator"
MANAGER = "manager"
ADMIN = "admin"
ORDER = [OPERATOR, MANAGER, ADMIN]


def user_role(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_helpdesk_role", "unset")
    if cached != "unset":
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in reversed(ORDER) if r in names), None)
    user._helpdesk_role = role
    return role


def has_role(user: AbstractBaseUser | AnonymousUser | None, needed: str) -> bool:
    role = user_role(user)
    return role is not None and ORDER.index(role) >= ORDER.index(needed)


# Model permissions each role gets in the Django admin (app_label, actions).
ROLE_PERMISSIONS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    OPERATOR: [("tickets", ("view",)), ("channels_in", ())],
    MANAGER: [("tickets", ("view",)), ("channels_in", ("view",)), ("sla", ("view",)),
              ("metrics", ("view", "add", "change"))],
    ADMIN: [("tickets", ("view", "add", "change", "delete")),
            ("channels_in", ("view", "add", "change", "delete")),
            ("sla", ("view", "add", "change", "delete")),
            ("metrics", ("view", "add", "change", "delete")),
            ("automation", ("view", "add", "change", "delete")),
            ("integrations", ("view", "add", "change", "delete")),
            ("audit", ("view",)),
            ("authtoken", ("view", "add", "delete")),
            ("auth", ("view", "add", "change"))],
}  # fmt: skip


def roles_sync(**_kwargs) -> None:
    """Create the three role groups and give them their permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, actions in grants:
            for action in actions:
                wanted.extend(
                    Permission.objects.filter(
                        content_type__app_label=app_label, codename__startswith=f"{action}_"
                    )
                )
        group.permissions.set(wanted)
