"""Who may change what of on-call schedules (shared by services, pages and the API).

- Schedules and layers: admins and the support group's manager.
- Escalation policies: admins and the group's manager.
- Contact methods and notification rules: the person themselves and admins.
- Overrides: the person taking the shift (a member of the group), a colleague of the group, the
  group's manager or an admin; deleting: also whoever created it.
"""

from core.models import SupportGroup, User
from core.roles import is_admin, is_agent
from oncall.models import Override


def can_manage_group_schedules(user: User, group: SupportGroup) -> bool:
    return is_admin(user) or (user.is_active and group.manager_id == user.pk)


def is_group_member(user: User, group: SupportGroup) -> bool:
    return group.members.filter(pk=user.pk, is_active=True).exists()


def can_write_overrides(user: User, group: SupportGroup) -> bool:
    """A manager of the group, an admin, or an agent of the group (for themselves or a
    colleague)."""
    if can_manage_group_schedules(user, group):
        return True
    return is_agent(user) and is_group_member(user, group)


def can_delete_override(user: User, override: Override) -> bool:
    group = override.schedule.support_group
    return user.pk in (override.created_by_id, override.person_id) or can_write_overrides(
        user, group
    )


def can_manage_policies(user: User, group: SupportGroup) -> bool:
    """Escalation policies are the group's schedules' siblings: the same people change them."""
    return can_manage_group_schedules(user, group)


def can_manage_contact_methods(user: User, person: User) -> bool:
    """Each person keeps their own contact methods and rules; admins anyone's."""
    return is_admin(user) or (user.is_active and user.pk == person.pk)
