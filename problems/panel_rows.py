"""The table behind the incident page's Problems panel, for core.tickets.panel_rows: the panel
skips reading linked problems when the incident has no link (registered in
ProblemsConfig.ready())."""

from core.tickets.panel_rows import PanelRows, panel_rows_register

LINKED_PROBLEMS = "problems.linked"


def register_panel_rows() -> None:
    panel_rows_register(
        LINKED_PROBLEMS, PanelRows("problems.ProblemIncident", "incident"), kinds=("incident",)
    )
