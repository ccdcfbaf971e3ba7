"""Evaluating every objective: alerts fire and clear, once per episode.

Each run takes the objectives in batches by primary key and spends four queries per batch on
reading (the objectives, their budgets and burn rates in two, their open episodes); writes
happen only for an alert that starts or stops. An alert starts an episode by inserting its row
under a partial unique constraint (one open episode per objective and rule), so a run repeated,
lost or racing another starts nothing twice; the episode's side effects are written in the
same transaction, through the outbox:

- fast burn (a page rule): an incident is opened on the service through the kernel's registry
  (the measured kind's email-intake hook: no domain app is imported) in the service's owner
  group, and its on-call is paged through the group's escalation policy (reason "alert"); a
  second page rule holding while the first still does joins the same incident;
- slow burn (a notice rule): an email to the owner group's address and manager (the
  objective's author when the group has neither);
- budget spent: the `slo.budget_exhausted` webhook.

An episode ends (`cleared_at`) on the first run where its rule no longer holds. When the last
page episode on a fast burn's incident ends, the incident gets the SLO's timeline event and is
resolved if nobody worked on it (slo.recovery), in the same transaction as the episode's end.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.choices import Source
from core.exceptions import DomainError
from core.outbox import outbox_enqueue
from core.outgoing_mail import email_payload
from core.tickets.paging_hooks import page_request
from core.webhooks.emit import webhook_emit
from oncall.models import PageReason
from slo.budget import PAGE, POLICY_BY_RULE, AlertPolicy
from slo.choices import AlertRule
from slo.models import AlertEpisode, Objective
from slo.queries import measured_spec
from slo.recovery import burn_ended, ends_the_burn
from slo.selectors import ObjectiveStatus, objective_statuses

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
EXHAUSTED_EVENT = "slo.budget_exhausted"


@dataclass
class Evaluation:
    """What one run changed: (objective id, rule) pairs that fired and that cleared."""

    fired: list[tuple[int, str]] = field(default_factory=list)
    cleared: list[tuple[int, str]] = field(default_factory=list)


def slo_evaluate(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Evaluation:
    """Evaluate every objective at `now` and start or end alert episodes."""
    now = now or timezone.now()
    result = Evaluation()
    last_pk = 0
    while True:
        batch = list(
            Objective.objects.select_related(
                "service", "service__owner_group", "service__owner_group__manager", "created_by"
            )
            .filter(pk__gt=last_pk)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        open_episodes = {
            (episode.objective_id, episode.rule): episode
            for episode in AlertEpisode.objects.filter(objective__in=batch, cleared_at__isnull=True)
        }
        for status in objective_statuses(batch, now=now):
            _apply(status, open_episodes, now, result)
        if len(batch) < batch_size:
            break
    return result


def _apply(
    status: ObjectiveStatus,
    open_episodes: dict[tuple[int, str], AlertEpisode],
    now: datetime,
    result: Evaluation,
) -> None:
    objective = status.objective
    holding: dict[str, AlertPolicy | None] = {policy.rule: policy for policy in status.holding}
    if status.budget.is_exhausted:
        holding[AlertRule.EXHAUSTED] = None
    for rule, policy in holding.items():
        if (objective.pk, rule) in open_episodes:
            continue
        episode = _fire(status, rule, policy, open_episodes, now)
        if episode is not None:
            open_episodes[(objective.pk, rule)] = episode
            result.fired.append((objective.pk, rule))
    for (objective_id, rule), episode in list(open_episodes.items()):
        if objective_id != objective.pk or rule in holding:
            continue
        del open_episodes[(objective_id, rule)]
        with transaction.atomic():
            changed = AlertEpisode.objects.filter(pk=episode.pk, cleared_at__isnull=True).update(
                cleared_at=now
            )
            if changed and ends_the_burn(episode, list(open_episodes.values())):
                burn_ended(ticket_number=episode.ticket_number, status=status, now=now)
        if changed:
            result.cleared.append((objective_id, rule))


def _fire(
    status: ObjectiveStatus,
    rule: str,
    policy: AlertPolicy | None,
    open_episodes: dict[tuple[int, str], AlertEpisode],
    now: datetime,
) -> AlertEpisode | None:
    objective = status.objective
    with transaction.atomic():
        try:
            with transaction.atomic():
                episode = AlertEpisode.objects.create(
                    objective=objective,
                    rule=rule,
                    fired_at=now,
                    burn_long=status.burns[policy.long] if policy else None,
                    burn_short=status.burns[policy.short] if policy else None,
                    remaining=status.budget.remaining_fraction,
                )
        except IntegrityError:
            # Another run started this episode meanwhile: its effects are its own.
            return None
        if policy is None:
            _announce_exhausted(episode, status, now)
        elif policy.severity == PAGE:
            _page(episode, status, policy, open_episodes)
        else:
            _notify(episode, status, policy)
    return episode


def _words(status: ObjectiveStatus, policy: AlertPolicy) -> str:
    objective = status.objective
    return (
        f"The objective “{objective.describe()}” of {objective.service} is burning its error "
        f"budget: burn rate {status.burns[policy.long]:.1f} over {policy.long} and "
        f"{status.burns[policy.short]:.1f} over {policy.short} ({policy.words}); "
        f"{max(status.budget.remaining_fraction, 0.0):.0%} of the budget is left.\n\n"
        f"{_service_url(objective)}"
    )


def _service_url(objective: Objective) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/slo/{objective.service_id}/"


def _page(
    episode: AlertEpisode,
    status: ObjectiveStatus,
    policy: AlertPolicy,
    open_episodes: dict[tuple[int, str], AlertEpisode],
) -> None:
    objective = status.objective
    joined = next(
        (
            other.ticket_number
            for (objective_id, rule), other in open_episodes.items()
            if objective_id == objective.pk
            and other.ticket_number
            and POLICY_BY_RULE.get(rule) is not None
            and POLICY_BY_RULE[rule].severity == PAGE
        ),
        "",
    )
    if joined:
        AlertEpisode.objects.filter(pk=episode.pk).update(ticket_number=joined)
        episode.ticket_number = joined
        return
    spec = measured_spec()
    intake = spec.kind.email if spec is not None else None
    if intake is None:
        logger.warning("SLO fast burn on %s: no ticket kind opens incidents", objective.service)
        return
    service = objective.service
    try:
        with transaction.atomic():
            ticket = intake.open_ticket(
                requester=objective.created_by,
                title=f"SLO fast burn: {service.name}"[:200],
                description=_words(status, policy),
                service=service,
                support_group=service.owner_group,
                catalog_item=None,
                source=Source.SYSTEM,
            )
            page_request(ticket, reason=PageReason.ALERT, message=_words(status, policy))
    except DomainError as error:
        logger.warning("SLO fast burn on %s: no incident opened (%s)", service, error)
        return
    AlertEpisode.objects.filter(pk=episode.pk).update(ticket_number=ticket.number)
    episode.ticket_number = ticket.number


def _recipients(objective: Objective) -> list[str]:
    group = objective.service.owner_group
    addresses = [group.email] if group.email else []
    if group.manager is not None and group.manager.is_active and group.manager.email:
        addresses.append(group.manager.email)
    if not addresses and objective.created_by.email:
        addresses.append(objective.created_by.email)
    return list(dict.fromkeys(addresses))


def _notify(episode: AlertEpisode, status: ObjectiveStatus, policy: AlertPolicy) -> None:
    objective = status.objective
    to = _recipients(objective)
    if not to:
        return
    outbox_enqueue(
        task_name="core.send_email",
        payload=email_payload(
            to=to,
            subject=f"SLO slow burn: {objective.service.name}",
            body=_words(status, policy),
            headers={"Auto-Submitted": "auto-generated"},
        ),
        dedupe_key=f"slo-notify:{episode.pk}",
    )


def _announce_exhausted(episode: AlertEpisode, status: ObjectiveStatus, now: datetime) -> None:
    objective = status.objective
    budget = status.budget
    webhook_emit(
        event_type=EXHAUSTED_EVENT,
        key=f"slo-episode:{episode.pk}",
        occurred_at=now,
        data=lambda: {
            "service": {"id": objective.service_id, "name": objective.service.name},
            "objective": {
                "id": objective.pk,
                "kind": objective.kind,
                "target": float(objective.target),
                "window_days": objective.window_days,
                "description": objective.describe(),
            },
            "budget": {
                "unit": budget.unit,
                "allowed": round(budget.allowed, 3),
                "used": round(budget.used, 3),
                "remaining_fraction": round(budget.remaining_fraction, 4),
            },
            "url": _service_url(objective),
        },
    )
