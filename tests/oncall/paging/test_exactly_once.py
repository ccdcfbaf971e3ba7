"""Each step notifies exactly once: concurrent sweepers (PostgreSQL, threads), a stale copy of
the page (the compare-and-set path, on any database), a sweep killed half-way (rolled back,
then done once)."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from core.choices import EventKind
from core.models import OutboxMessage, TimelineEvent
from oncall.models import Page, PageNotification, PageReason
from oncall.paging import sweeper
from oncall.paging.services import page_start
from oncall.paging.sweeper import page_advance, sweep
from tests.factories import IncidentFactory


def start_pages(group, agents, count):
    pages = []
    for _ in range(count):
        incident = IncidentFactory(support_group=group, tier=group.tier)
        pages.append(page_start(incident, reason=PageReason.PRIORITY))
    Page.objects.update(next_at=timezone.now() - timedelta(seconds=1))
    return pages


def assert_once_per_step(pages, agents):
    for page in pages:
        second = PageNotification.objects.filter(page=page, step_key="0.0.1")
        assert second.count() == len(agents)
        assert second.values("person").distinct().count() == len(agents)
    keys = OutboxMessage.objects.filter(task_name="oncall.page_email")
    assert keys.count() == len(pages) * (1 + len(agents))
    assert keys.values("dedupe_key").distinct().count() == keys.count()


@pytest.mark.django_db
def test_stale_copies_and_repeats_notify_once(group, agents, policy, reachable):
    pages = start_pages(group, agents, 3)
    stale = list(Page.objects.filter(pk__in=[p.pk for p in pages]))
    now = timezone.now()
    assert sweep(now=now).moved == 3
    assert sweep(now=now).moved == 0
    assert [page_advance(copy, now) for copy in stale] == [False, False, False]
    assert_once_per_step(pages, agents)


@pytest.mark.django_db
def test_a_sweep_killed_half_way_is_rolled_back_and_done_once(group, agents, policy, reachable):
    pages = start_pages(group, agents, 3)
    real = sweeper.step_run
    calls = []

    def dies_on_the_third(page, ticket, now):
        calls.append(page.pk)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real(page, ticket, now)

    with mock.patch.object(sweeper, "step_run", dies_on_the_third), pytest.raises(SystemExit):
        sweep(now=timezone.now())
    assert not PageNotification.objects.filter(step_key="0.0.1").exists()
    assert set(Page.objects.values_list("step_index", flat=True)) == {0}
    sweep(now=timezone.now())
    assert_once_per_step(pages, agents)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweepers_move_each_page_once(group, agents, policy, reachable):
    pages = start_pages(group, agents, 40)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            while sweep(batch_size=3).processed:
                pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_once_per_step(pages, agents)
    assert Page.objects.filter(version=2, step_index=1).count() == 40
    notified = TimelineEvent.objects.filter(kind=EventKind.PAGE, changes__what="escalated")
    assert not notified.exists()
