"""The chore kind: its lifecycle table, its registration and its action table."""

from core import ticket_actions as common
from core.api.action_inputs import EmptyInputSerializer
from core.lifecycle import Lifecycle, Transition
from core.tickets.actions import Action
from core.tickets.executor import transition_run
from core.tickets.kinds import ClockRules, TicketKind
from core.web.forms import ConfirmForm
from tests.kindtest.models import Chore
from tests.kindtest.models import ChoreStatus as S

HOLDABLE = frozenset({S.QUEUED, S.DOING})

LIFECYCLE = Lifecycle(
    noun="a chore",
    statuses=S,
    final=frozenset({S.DONE, S.CANCELLED}),
    initial=S.QUEUED,
    open=frozenset({S.QUEUED, S.DOING, S.ON_HOLD}),
    milestones={S.DOING: "started_at", S.DONE: "done_at", S.CANCELLED: "cancelled_at"},
    transitions=(
        Transition("start", "Start", frozenset({S.QUEUED}), frozenset({S.DOING})),
        Transition("finish", "Finish", frozenset({S.DOING}), frozenset({S.DONE})),
        Transition(
            "hold", "Put on hold", HOLDABLE, frozenset({S.ON_HOLD}), required=("on_hold_reason",)
        ),
        Transition("resume", "Resume", frozenset({S.ON_HOLD}), HOLDABLE),
        Transition(
            "cancel",
            "Cancel",
            frozenset({S.QUEUED, S.DOING, S.ON_HOLD}),
            frozenset({S.CANCELLED}),
            required=("cancel_reason",),
        ),
    ),
)


def _list(user):  # type: ignore[no-untyped-def]
    return Chore.objects.select_related("requester", "assignee", "support_group", "service")


def _get(user, number):  # type: ignore[no-untyped-def]
    from django.http import Http404

    try:
        return _list(user).get(number=number)
    except Chore.DoesNotExist as exc:
        raise Http404(number) from exc


CHORE = TicketKind(
    name="chore",
    model=Chore,
    lifecycle=LIFECYCLE,
    label="Chore",
    plural="chores",
    url_namespace="chores",
    api_basename="chores",
    list_for_user=_list,
    get_for_user=_get,
    created_verb="asked for the chore",
    created_description="A chore was asked for.",
    has_portal=False,
    clock_rules=ClockRules(
        cancel_on=frozenset({S.CANCELLED}),
        pause_in=frozenset({S.ON_HOLD}),
        response_met_on=frozenset({S.DOING}),
        resolution_met_on=frozenset({S.DONE}),
    ),
    resolved_status=S.DONE,
)


def _run(action: str):  # type: ignore[no-untyped-def]
    def service(chore, *, actor, source, expected_version=None):  # type: ignore[no-untyped-def]
        return transition_run(
            chore, action=action, actor=actor, source=source, expected_version=expected_version
        )

    return service


CHORE_ACTIONS: tuple[Action, ...] = (
    Action(
        "start",
        _run("start"),
        "{number} started.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="queued → doing",
    ),
    Action(
        "finish",
        _run("finish"),
        "{number} done.",
        form=ConfirmForm,
        serializer=EmptyInputSerializer,
        summary="doing → done",
    ),
    common.hold(Chore),
    common.resume(),
    common.cancel(Chore),
    *common.work_on_open_tickets(),
)
