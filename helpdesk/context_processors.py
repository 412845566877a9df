from helpdesk.roles import ADMIN, MANAGER, has_role, user_role


def roles(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "user_role": user_role(user),
        "is_manager": has_role(user, MANAGER),
        "is_admin": has_role(user, ADMIN),
    }
