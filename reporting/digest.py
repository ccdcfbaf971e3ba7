"""The weekly summary email: the dashboard tiles as plain text."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from reporting.filters import ReportFilter
from reporting.format import duration, percent
from reporting.metrics.summary import summary
from reporting.scope import spec_for


def summary_email(report: ReportFilter) -> tuple[str, str]:
    """(subject, body) summarising the report's period and filters."""
    spec = spec_for(report)
    tiles = summary(report)
    start = timezone.localtime(report.start)
    end = timezone.localtime(report.end)
    narrowed = ", ".join(f"{k}={v}" for k, v in report.dimensions().items() if k != "kind")
    lines = [
        f"Service desk summary for {spec.noun}, {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
        + (f" ({narrowed})" if narrowed else "")
        + ".",
        "",
        f"MTTR: {duration(tiles.mttr.wall.mean)} wall-clock, "
        f"{duration(tiles.mttr.business.mean)} business hours "
        f"({tiles.mttr.wall.count} resolved)",
        f"MTTA: {duration(tiles.mtta.wall.mean)} ({tiles.mtta.wall.count} acknowledged)",
        f"SLA compliance: response {percent(tiles.compliance.response.rate)} "
        f"({tiles.compliance.response.breached} breached), resolution "
        f"{percent(tiles.compliance.resolution.rate)} "
        f"({tiles.compliance.resolution.breached} breached)",
        f"Open now: {tiles.backlog}",
        f"First-contact resolution: {percent(tiles.first_contact.rate)}",
    ]
    if tiles.ratings:
        lines.append(f"Satisfaction: {tiles.satisfaction:.1f} / 5 ({tiles.ratings} ratings)")
    if tiles.reopen is not None:
        lines.append(f"Reopen rate: {percent(tiles.reopen.rate)}")
    site = settings.SITE_URL.rstrip("/")
    dashboard = f"{site}{reverse('reporting:dashboard')}#subscriptions"
    lines += [
        "",
        f"Details: {site}{reverse('reporting:export_csv')}",
        "You receive this because you subscribed to a weekly summary. To stop it, use the "
        f'Unsubscribe button under "Weekly email summary" on the dashboard: {dashboard}',
    ]
    subject = f"Weekly service desk summary: {start:%d %b} - {end:%d %b %Y}"
    return subject, "\n".join(lines)
