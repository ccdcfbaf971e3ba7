from typing import Any

from django.http import HttpRequest

from core.roles import is_admin, is_agent, is_manager


def roles(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "is_agent": is_agent(user),
        "is_manager": is_manager(user),
        "is_admin": is_admin(user),
    }
