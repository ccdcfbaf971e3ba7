from django.urls import path

from problems.views import known_errors, portal_search, problems, proposals, reviews

app_name = "problems"

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
    path("agent/problems/proposals/", proposals.proposal_list, name="proposals"),
    path(
        "agent/problems/proposals/<int:pk>/accept/",
        proposals.proposal_accept_view,
        name="proposal_accept",
    ),
    path(
        "agent/problems/proposals/<int:pk>/dismiss/",
        proposals.proposal_dismiss_view,
        name="proposal_dismiss",
    ),
    path("agent/known-errors/", known_errors.known_error_list, name="known_errors"),
    path(
        "agent/problems/link-incident/<str:incident_number>/",
        problems.incident_link_problem,
        name="incident_link",
    ),
    path("agent/reviews/<str:number>/", reviews.review_page, name="review"),
    path("agent/reviews/<str:number>/start/", reviews.review_start_view, name="review_start"),
    path("agent/reviews/<str:number>/save/", reviews.review_save, name="review_save"),
    path("agent/reviews/<str:number>/items/", reviews.review_add_item, name="review_add_item"),
    path(
        "agent/reviews/<str:number>/items/<int:item_id>/",
        reviews.review_toggle_item,
        name="review_toggle_item",
    ),
    path(
        "agent/reviews/<str:number>/complete/",
        reviews.review_complete_view,
        name="review_complete",
    ),
    path("agent/problems/<str:number>/", problems.problem_detail, name="agent_detail"),
    path("agent/problems/<str:number>/edit/", problems.problem_edit, name="edit"),
    path("agent/problems/<str:number>/analysis/", problems.problem_analysis, name="analysis"),
    path("agent/problems/<str:number>/comment/", problems.problem_comment, name="agent_comment"),
    path("agent/problems/<str:number>/link/", problems.problem_link, name="link"),
    path(
        "agent/problems/<str:number>/unlink/<str:incident_number>/",
        problems.problem_unlink,
        name="unlink",
    ),
    path(
        "agent/problems/<str:number>/resolve-incidents/",
        problems.problem_resolve_linked,
        name="resolve_linked",
    ),
    path(
        "agent/problems/<str:number>/do/<slug:action>/",
        problems.problem_transition,
        name="agent_transition",
    ),
]
