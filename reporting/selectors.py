"""Reads of the reporting app's own rows (the metrics themselves are in reporting/metrics/)."""

from django.db.models import QuerySet
from django.http import Http404

from core.models import User
from reporting.models import ReportSubscription


def subscription_list_for_user(*, user: User) -> QuerySet[ReportSubscription]:
    """The user's own weekly summary subscriptions."""
    return ReportSubscription.objects.filter(user=user).order_by("weekday", "hour", "id")


def subscription_get_for_user(*, user: User, pk: int) -> ReportSubscription:
    """One of the user's subscriptions; anyone else's is a 404."""
    found = subscription_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such subscription.")
    return found
