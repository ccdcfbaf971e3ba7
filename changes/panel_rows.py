"""The tables behind the changes app's panels, for core.tickets.panel_rows: a ticket page skips a
panel's query when its table has no row for the ticket (registered in ChangesConfig.ready()).

- CAUSED_OR_FIXING: the Changes panel of an incident (changes that caused it) and of a problem
  (changes that fix it);
- EXPOSED_ITEM: patch targets still exposed on the ticket's configuration item (the Patch
  rollouts panel);
- the change page's own panels: its approvals, the problems it fixes, the incidents it caused.
"""

from changes.choices import PATCH_EXPOSED
from core.tickets.panel_rows import PanelRows, panel_rows_register

CAUSED_OR_FIXING = "changes.ticket_changes"
EXPOSED_ITEM = "changes.exposed_item"
APPROVALS = "changes.approvals"
FIXES = "changes.problem_links"
CAUSED = "changes.incident_links"


def register_panel_rows() -> None:
    panel_rows_register(
        CAUSED_OR_FIXING, PanelRows("changes.ChangeIncident", "incident"), kinds=("incident",)
    )
    panel_rows_register(
        CAUSED_OR_FIXING, PanelRows("changes.ChangeProblem", "problem"), kinds=("problem",)
    )
    on_item = PanelRows(
        "changes.PatchTarget",
        "configuration_item",
        attribute="configuration_item_id",
        status_in=tuple(str(status) for status in PATCH_EXPOSED),
    )
    panel_rows_register(EXPOSED_ITEM, on_item, kinds=("incident", "problem"))
    for name, model in (
        (APPROVALS, "changes.ChangeApproval"),
        (FIXES, "changes.ChangeProblem"),
        (CAUSED, "changes.ChangeIncident"),
    ):
        panel_rows_register(name, PanelRows(model, "change"), kinds=("change",))
