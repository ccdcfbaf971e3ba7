"""Problem routes. The problem page and its actions, notes, files, assignment and claiming are
the kernel's (core.web.ticket_urls: `agent_detail`, `agent_transition`, `agent_comment`...),
after every problem route whose second segment could be read as a problem number."""

from django.urls import include, path

from core.web.ticket_urls import agent_ticket_urls
from core.web.ticket_views import ticket_action
from problems.views import known_errors, portal_search, problems, proposals, reviews
from problems.views.problems import ProblemPage

app_name = "problems"

# The problem page's own panels: (URL segment, action and URL name).
PANEL_ROUTES = (
    ("edit", "edit"),
    ("analysis", "analysis"),
    ("link", "link"),
    ("resolve-incidents", "resolve_linked"),
)

# A major incident's post-incident review, under agent/reviews/<incident number>/.
REVIEW_ROUTES = [
    path("", reviews.review_page, name="review"),
    path("start/", reviews.review_start_view, name="review_start"),
    path("save/", reviews.review_save, name="review_save"),
    path("items/", reviews.review_add_item, name="review_add_item"),
    path("items/<int:item_id>/", reviews.review_toggle_item, name="review_toggle_item"),
    path("complete/", reviews.review_complete_view, name="review_complete"),
]

# Recurrence proposals (problems.proposals), under agent/problems/proposals/.
PROPOSAL_ROUTES = [
    path("", proposals.proposal_list, name="proposals"),
    path("<int:pk>/accept/", proposals.proposal_accept_view, name="proposal_accept"),
    path("<int:pk>/dismiss/", proposals.proposal_dismiss_view, name="proposal_dismiss"),
]

urlpatterns = [
    # End users: published workarounds (search page, and suggestions while reporting)
    path("portal/known-errors/", portal_search.known_error_search, name="portal_search"),
    path(
        "portal/known-errors/suggest/",
        portal_search.known_error_suggest,
        name="portal_suggest",
    ),
    path("agent/problems/", problems.problem_list, name="agent_list"),
    path("agent/problems/new/", problems.problem_new, name="new"),
    path("agent/problems/proposals/", include(PROPOSAL_ROUTES)),
    path("agent/known-errors/", known_errors.known_error_list, name="known_errors"),
    path(
        "agent/problems/link-incident/<str:incident_number>/",
        problems.incident_link_problem,
        name="incident_link",
    ),
    path("agent/reviews/<str:number>/", include(REVIEW_ROUTES)),
    # The problem's panels post rows of its action table (problems.actions) through the
    # kernel's action view, under the paths and names they always had.
    *[
        path(
            f"agent/problems/<str:number>/{segment}/",
            ticket_action,
            {"page": ProblemPage, "action": action},
            name=action,
        )
        for segment, action in PANEL_ROUTES
    ],
    path(
        "agent/problems/<str:number>/unlink/<str:incident_number>/",
        problems.problem_unlink,
        name="unlink",
    ),
    *agent_ticket_urls("agent/problems/", ProblemPage),
]
