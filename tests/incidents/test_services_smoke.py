from incidents import services
from incidents.choices import Category, Impact, IncidentStatus, ResolutionCode, Urgency


def test_walk_full_lifecycle(end_user, agent_l1, service):
    incident = services.incident_create(
        requester=end_user, title="Mail down", impact=Impact.HIGH, urgency=Urgency.HIGH
    )
    assert incident.number.startswith("INC-")
    assert incident.priority == 1
    incident = services.incident_accept(incident, actor=agent_l1)
    incident = services.incident_classify(
        incident, actor=agent_l1, category=Category.SOFTWARE, impact=Impact.MEDIUM,
        urgency=Urgency.HIGH, service=service,
    )
    assert incident.priority == 2
    incident = services.incident_hold(incident, actor=agent_l1, on_hold_reason="awaiting_user")
    assert incident.status_before_hold == IncidentStatus.CLASSIFIED
    incident = services.incident_resume(incident, actor=agent_l1)
    assert incident.status == IncidentStatus.CLASSIFIED
    incident = services.incident_contain(incident, actor=agent_l1, containment_notes="Failover")
    incident = services.incident_diagnose(incident, actor=agent_l1, diagnosis_notes="Disk full")
    incident = services.incident_resolve(
        incident, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="Freed"
    )
    incident = services.incident_reopen(incident, actor=end_user, reason="Still broken")
    assert incident.resolved_at is None and incident.reopen_count == 1
    incident = services.incident_resolve(
        incident, actor=agent_l1, resolution_code=ResolutionCode.FIXED, resolution_notes="Really"
    )
    incident = services.incident_close(incident, actor=end_user)
    assert incident.status == IncidentStatus.CLOSED
