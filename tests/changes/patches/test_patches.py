"""Patch rollouts: the patches and targets a rollout carries, each CI's status, the CIs still
exposed per CVE and the rollouts a ticket shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.choices import ChangeStatus, PatchStatus
from changes.models import Change, ChangeTemplate, PatchAdvisory, PatchTarget
from changes.patches.cve import clean_cve, cve_ids_in
from changes.patches.selectors import (
    exposure_chunks,
    exposure_rows,
    rollout_progress,
    rollouts_for_ticket,
)
from changes.patches.services import (
    parse_advisories,
    rollout_add_targets,
    rollout_set_advisories,
    rollout_set_target_status,
)
from core.choices import EventKind
from core.exceptions import TransitionError, ValidationFailed
from core.models import ConfigurationItem, TimelineEvent, User
from tests.changes.patches.conftest import make_change
from tests.factories import ConfigurationItemFactory, IncidentFactory

pytestmark = pytest.mark.django_db

XZ = "CVE-2024-3094"
RAPID_RESET = "CVE-2023-44487"


def test_cve_ids_are_found_in_text_once_each_and_upper_cased() -> None:
    text = "Exposed to cve-2024-3094 (xz); see CVE-2024-3094 and CVE-2023-44487."
    assert cve_ids_in(text) == [XZ, RAPID_RESET]
    assert clean_cve(" cve-2021-44228 ") == "CVE-2021-44228"
    assert clean_cve("CVE-21-1") is None
    assert clean_cve("") is None


def test_advisory_lines_parse_and_a_bad_line_is_named() -> None:
    text = f"KB5034441: CVE-2024-20666\n\nDSA-5678-1: {XZ}; {RAPID_RESET}, {XZ}\nUSN-6000-1"
    assert parse_advisories(text) == [
        ("KB5034441", ["CVE-2024-20666"]),
        ("DSA-5678-1", [XZ, RAPID_RESET]),
        ("USN-6000-1", []),
    ]
    with pytest.raises(ValidationFailed) as refused:
        parse_advisories("KB1: CVE-2024-12345\nKB2: log4shell")
    assert refused.value.errors["advisories"].startswith("Line 2: 'log4shell' is not a CVE id")
    with pytest.raises(ValidationFailed):
        parse_advisories(": CVE-2024-12345")


def test_advisories_replace_the_set_bump_the_version_and_tell_the_timeline(
    rollout: Change, agent_l1: User
) -> None:
    advisories = parse_advisories(f"DSA-5678-1: {XZ}, {RAPID_RESET}\nKB1")
    saved = rollout_set_advisories(rollout, actor=agent_l1, advisories=advisories)
    assert saved.version == rollout.version + 1
    rows = set(PatchAdvisory.objects.filter(change=rollout).values_list("vendor_id", "cve_id"))
    assert rows == {("DSA-5678-1", XZ), ("DSA-5678-1", RAPID_RESET), ("KB1", "")}
    event = TimelineEvent.objects.filter(kind=EventKind.FIELDS_CHANGED).latest("id")
    assert event.message == f"Patches: DSA-5678-1, KB1 (fixing {RAPID_RESET}, {XZ})."
    assert not event.is_public
    # The same set again changes nothing.
    again = rollout_set_advisories(saved, actor=agent_l1, advisories=advisories)
    assert again.version == saved.version


def test_only_a_live_patch_rollout_carries_patches_and_only_agents_write(
    agent_l1: User, end_user: User, rollout: Change, servers: list[ConfigurationItem]
) -> None:
    plain = make_change(agent_l1, number="CHG-900002", template=None)
    with pytest.raises(TransitionError, match="not a patch rollout"):
        rollout_set_advisories(plain, actor=agent_l1, advisories=[("KB1", [])])
    with pytest.raises(TransitionError, match="Only agents"):
        rollout_add_targets(rollout, actor=end_user, configuration_items=servers)
    Change.objects.filter(pk=rollout.pk).update(status=ChangeStatus.CLOSED)
    with pytest.raises(TransitionError, match="cannot change anymore"):
        rollout_add_targets(rollout, actor=agent_l1, configuration_items=servers)
    assert not PatchTarget.objects.exists()


def test_targets_start_pending_and_each_status_is_recorded(
    rollout: Change, agent_l1: User, servers: list[ConfigurationItem]
) -> None:
    rollout = rollout_add_targets(rollout, actor=agent_l1, configuration_items=servers[:2])
    rollout = rollout_add_targets(rollout, actor=agent_l1, configuration_items=servers)
    assert rollout_progress(rollout).pending == 3
    rollout_set_target_status(
        rollout, actor=agent_l1, configuration_item=servers[0], status=PatchStatus.DONE
    )
    with pytest.raises(ValidationFailed) as refused:
        rollout_set_target_status(
            rollout, actor=agent_l1, configuration_item=servers[1], status=PatchStatus.FAILED
        )
    assert refused.value.errors == {"note": "Say why the patch failed on this item."}
    rollout_set_target_status(
        rollout,
        actor=agent_l1,
        configuration_item=servers[1],
        status=PatchStatus.FAILED,
        note="Package conflict with libssl.",
    )
    progress = rollout_progress(rollout)
    assert (progress.pending, progress.done, progress.failed, progress.total) == (1, 1, 1, 3)
    assert progress.percent_done == 33
    stranger = ConfigurationItemFactory(service=servers[0].service, name="db-01")
    with pytest.raises(ValidationFailed):
        rollout_set_target_status(
            rollout, actor=agent_l1, configuration_item=stranger, status=PatchStatus.DONE
        )
    with pytest.raises(ValidationFailed):
        rollout_set_target_status(
            rollout, actor=agent_l1, configuration_item=servers[2], status="patched"
        )
    messages = list(
        TimelineEvent.objects.filter(ticket_id=rollout.pk, kind=EventKind.FIELDS_CHANGED)
        .order_by("id")
        .values_list("message", flat=True)
    )
    assert messages[-2:] == ["web-01: done.", "web-02: failed — Package conflict with libssl."]


def _rollout_with(
    agent: User, template: ChangeTemplate, number: str, cves: list[str], targets: dict
) -> Change:  # type: ignore[type-arg]
    change = make_change(agent, number=number, template=template)
    PatchAdvisory.objects.bulk_create(
        PatchAdvisory(change=change, vendor_id="V-" + number, cve_id=cve) for cve in cves
    )
    for ci, status in targets.items():
        PatchTarget.objects.create(
            change=change, configuration_item=ci, status=status, updated_at=change.created_at
        )
    return change


def test_exposure_lists_each_cve_and_ci_not_patched_by_any_live_rollout(
    agent_l1: User, patch_template: ChangeTemplate, servers: list[ConfigurationItem]
) -> None:
    web1, web2, web3 = servers
    first = {web1: PatchStatus.DONE, web2: PatchStatus.PENDING, web3: PatchStatus.SKIPPED}
    _rollout_with(agent_l1, patch_template, "CHG-900011", [XZ], first)
    # A later rollout still pending on web1 does not expose it again: it was patched.
    _rollout_with(agent_l1, patch_template, "CHG-900012", [XZ, RAPID_RESET], {web1: "pending"})
    cancelled = _rollout_with(
        agent_l1, patch_template, "CHG-900013", [RAPID_RESET], {web3: "failed"}
    )
    Change.objects.filter(pk=cancelled.pk).update(status=ChangeStatus.CANCELLED)
    with CaptureQueriesContext(connection) as queries:
        rows = list(exposure_rows())
    assert len(queries) == 1
    assert [(r["cve"], r["ci_name"], r["rollout"]) for r in rows] == [
        (RAPID_RESET, "web-01", "CHG-900012"),
        (XZ, "web-02", "CHG-900011"),
    ]
    assert [r["ci_name"] for r in exposure_rows(cve=XZ)] == ["web-02"]
    assert list(exposure_rows(service_id=web1.service_id + 999)) == []


def test_a_ticket_shows_rollouts_for_the_cves_it_names_or_its_pending_ci(
    agent_l1: User, patch_template: ChangeTemplate, servers: list[ConfigurationItem]
) -> None:
    web1, web2, _ = servers
    by_cve = _rollout_with(agent_l1, patch_template, "CHG-900021", [XZ], {web2: "done"})
    by_ci = _rollout_with(agent_l1, patch_template, "CHG-900022", [], {web1: "pending"})
    _rollout_with(agent_l1, patch_template, "CHG-900023", [], {web2: "done"})
    incident = IncidentFactory(title=f"sshd slow: {XZ.lower()}?", configuration_item=web1)
    assert {c.number for c in rollouts_for_ticket(incident)} == {by_cve.number, by_ci.number}
    quiet = IncidentFactory(title="Printer jam", description="", configuration_item=None)
    assert rollouts_for_ticket(quiet) == []


_SHOWN = ("id", "number", "title", "status", "planned_start", "planned_end")


def test_a_tickets_rollouts_are_read_as_the_orm_reads_those_changes(
    agent_l1: User, patch_template: ChangeTemplate, servers: list[ConfigurationItem]
) -> None:
    """Through a kept cursor, each column through the ORM's converters (SQLite gives instants
    as text), made into changes holding only the columns the panel shows, newest first."""
    web1, web2, _ = servers
    by_cve = _rollout_with(agent_l1, patch_template, "CHG-900031", [XZ], {web2: "done"})
    by_ci = _rollout_with(agent_l1, patch_template, "CHG-900032", [], {web1: "pending"})
    named = IncidentFactory(title=f"sshd slow: {XZ}", configuration_item=None)
    pending = IncidentFactory(title="Slow", description="", configuration_item=web1)
    both = IncidentFactory(title=f"{RAPID_RESET} and {XZ}", configuration_item=web1)
    for ticket, expected in ((named, [by_cve]), (pending, [by_ci]), (both, [by_ci, by_cve])):
        rollouts = rollouts_for_ticket(ticket)
        assert [type(c) for c in rollouts] == [Change] * len(expected)
        assert [[getattr(c, f) for f in _SHOWN] for c in rollouts] == [
            list(row)
            for row in Change.objects.filter(pk__in=[c.pk for c in expected])
            .order_by("-created_at", "-id")
            .values_list(*_SHOWN)
        ]
        assert all(c.get_deferred_fields() >= {"description", "template_id"} for c in rollouts)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 50])
def test_exposure_chunks_read_every_row_once_in_order(
    agent_l1: User,
    patch_template: ChangeTemplate,
    servers: list[ConfigurationItem],
    chunk_size: int,
) -> None:
    """Keyset chunks on (cve, CI name, CI id): two CIs with the same name under two CVEs are
    each read once, whatever the chunk size, one query per chunk (no server-side cursor)."""
    web1, web2, web3 = servers
    twin = ConfigurationItemFactory(name=web2.name)  # another service
    pending = dict.fromkeys((web1, web2, web3, twin), PatchStatus.PENDING)
    _rollout_with(agent_l1, patch_template, "CHG-900021", [XZ, RAPID_RESET], pending)
    expected = [(r["cve"], r["ci_name"], r["ci_id"]) for r in exposure_rows()]
    assert len(expected) == 8
    with CaptureQueriesContext(connection) as queries:
        chunks = list(exposure_chunks(exposure_rows(), chunk_size=chunk_size))
    assert [len(chunk) for chunk in chunks[:-1]] == [chunk_size] * (len(chunks) - 1)
    read = [(r["cve"], r["ci_name"], r["ci_id"]) for chunk in chunks for r in chunk]
    assert sorted(read) == sorted(expected)
    assert read == sorted(read, key=lambda r: (r[0], r[1], r[2]))
    assert len(queries) == 8 // chunk_size + 1
