"""Reads of paging's configuration and pages, scoped to the user.

- Policies are read by every agent (what pages whom is no secret among the people paged).
- Contact methods: one's own; admins everyone's.
- Pages: those of tickets the user can see, decided by each kind's own selector
  (`list_for_user`) inside one statement, so a page of a restricted ticket is as invisible as
  the ticket; anything else is a 404.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from core.models import SupportGroup, User
from core.roles import is_admin
from core.tickets.kinds import kinds
from oncall.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    Page,
    PageNotification,
    StepTarget,
)


def policy_list() -> QuerySet[EscalationPolicy]:
    steps = EscalationStep.objects.select_related("schedule").prefetch_related("people")
    return EscalationPolicy.objects.select_related("support_group", "service").prefetch_related(
        Prefetch("steps", queryset=steps.order_by("position"))
    )


def policy_get(pk: int) -> EscalationPolicy:
    found = policy_list().filter(pk=pk).first()
    if found is None:
        raise Http404("No such escalation policy.")
    return found


def group_people_unreachable(group: SupportGroup) -> list[User]:
    """Active members of `group` without a working contact method with a rule: a page skips
    them."""
    reachable = ContactMethod.objects.filter(
        is_active=True, failing_since__isnull=True, rules__isnull=False
    ).values("person_id")
    return list(
        group.members.filter(is_active=True)
        .exclude(pk__in=reachable)
        .order_by("first_name", "last_name", "username")
    )


def contact_method_list(user: User, *, person: User | None = None) -> QuerySet[ContactMethod]:
    """`person`'s methods (default: the user's own) with their rules; admins may read anyone's,
    and every method when `person` is None and they ask through the API."""
    rules = NotificationRule.objects.order_by("delay_minutes")
    methods = ContactMethod.objects.select_related("person").prefetch_related(
        Prefetch("rules", queryset=rules)
    )
    if person is None:
        return methods if is_admin(user) else methods.filter(person=user)
    if person.pk != user.pk and not is_admin(user):
        return methods.none()
    return methods.filter(person=person)


def contact_method_get(user: User, pk: int) -> ContactMethod:
    found = contact_method_list(user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such contact method.")
    return found


def rule_get(user: User, pk: int) -> NotificationRule:
    found = (
        NotificationRule.objects.select_related("contact_method__person")
        .filter(pk=pk, contact_method__in=contact_method_list(user).values("pk"))
        .first()
    )
    if found is None:
        raise Http404("No such notification rule.")
    return found


def _visible_tickets(user: User) -> Q:
    condition = Q(pk__in=[])
    for kind in kinds():
        visible = kind.list_for_user(user).order_by().values("pk")
        condition |= Q(ticket_type_id=kind.content_type_id, ticket_id__in=visible)
    return condition


def page_list_for_user(user: User) -> QuerySet[Page]:
    return Page.objects.filter(_visible_tickets(user)).select_related(
        "support_group", "triggered_by", "acknowledged_by"
    )


def page_get_for_user(user: User, pk: int) -> Page:
    notifications = PageNotification.objects.select_related("person").order_by("due_at", "pk")
    found = (
        page_list_for_user(user)
        .prefetch_related(Prefetch("notifications", queryset=notifications))
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404("No such page.")
    return found


def step_words(step: EscalationStep) -> str:
    """A step in words, for the policy pages ("Page the on-call of “Primary”, then wait 5
    min")."""
    if step.target == StepTarget.SCHEDULE:
        name = step.schedule.name if step.schedule else "a removed schedule"
        who = f"the on-call of “{name}”"
    elif step.target == StepTarget.PEOPLE:
        who = ", ".join(person.display_name for person in step.people.all()) or "nobody"
    else:
        who = f"everyone in {step.policy.support_group.name}"
    return f"Page {who}, then wait {step.wait_minutes} min"


def triggers_words(policy: EscalationPolicy) -> str:
    """What pages through the policy besides a page by hand."""
    parts = []
    if policy.page_priorities:
        parts.append(", ".join(f"P{p}" for p in policy.page_priorities) + " tickets at once")
    if policy.page_on_breach:
        parts.append("SLA breaches")
    return "; ".join(parts) if parts else "Only pages by hand"
