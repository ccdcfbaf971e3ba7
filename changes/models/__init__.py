from changes.models.calendar import FreezeWindow
from changes.models.calendar_feed import ChangeCalendarFeed
from changes.models.change import Change, ChangeApproval, ChangeTemplate
from changes.models.deployments import Deployment
from changes.models.links import ChangeIncident, ChangeProblem
from changes.models.patches import PatchAdvisory, PatchTarget

__all__ = [
    "Change",
    "ChangeApproval",
    "ChangeCalendarFeed",
    "ChangeIncident",
    "ChangeProblem",
    "ChangeTemplate",
    "Deployment",
    "FreezeWindow",
    "PatchAdvisory",
    "PatchTarget",
]
