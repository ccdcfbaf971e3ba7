"""End users' view of the known-error database: search the published workarounds, and the
suggestions shown while they type the title of a new incident.

Scope: only what the problem process has *published* to requesters, i.e. problems that are known
errors with a workaround. Only their title, service and workaround are shown; the root cause,
symptoms notes, linked incidents and the problem page stay with the agents.
"""

import re

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from problems.choices import ProblemStatus
from problems.models import Problem

SUGGESTION_LIMIT = 5
SEARCH_PAGE_SIZE = 10
QUERY_MAX_LENGTH = 200
MAX_WORDS = 8
MIN_WORD_LENGTH = 3

# Words that match almost every known error and say nothing about which one.
# fmt: off
STOP_WORDS = frozenset({
    "about", "after", "again", "all", "also", "and", "any", "are", "because", "been", "before",
    "but", "can", "cannot", "cant", "could", "did", "does", "doesnt", "dont", "for", "from",
    "get", "gets", "getting", "had", "has", "have", "how", "into", "its", "just", "keep", "keeps",
    "like", "more", "not", "now", "off", "only", "our", "out", "over", "please", "same", "since",
    "some", "still", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "too", "very", "was", "wasnt", "were", "what", "when", "where", "which", "while",
    "why", "will", "with", "wont", "work", "working", "works", "would", "you", "your", "error",
    "errors", "problem", "issue", "broken",
})
# fmt: on
_WORD = re.compile(r"[\w][\w'.-]*", re.UNICODE)
_SUFFIXES = ("ing", "ed", "es", "s")


def search_words(text: str) -> list[str]:
    """The distinctive words of a query, lowercased and lightly stemmed ("dropping" -> "dropp",
    "printers" -> "printer"), so a substring match finds the other forms too. At most
    MAX_WORDS, in the order typed."""
    words: list[str] = []
    for raw in _WORD.findall(text.lower()[:QUERY_MAX_LENGTH]):
        word = raw.strip("'.-").replace("'", "")
        if len(word) < MIN_WORD_LENGTH or word in STOP_WORDS or (word.isdigit() and len(word) < 4):
            continue
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        if word not in words:
            words.append(word)
        if len(words) == MAX_WORDS:
            break
    return words


def known_errors_published() -> QuerySet[Problem]:
    """Known errors whose workaround is published to requesters, newest first."""
    return (
        Problem.objects.filter(status=ProblemStatus.KNOWN_ERROR, known_error_at__isnull=False)
        .exclude(workaround="")
        .select_related("service")
        .only("number", "title", "workaround", "known_error_at", "service__name")
        .order_by("-known_error_at", "-id")
    )


def known_errors_matching(text: str) -> QuerySet[Problem]:
    """Published known errors matching any distinctive word of `text`, best first: a word in the
    title counts three, in the workaround, symptoms or service name one. Empty for a query
    without such words."""
    words = search_words(text)
    if not words:
        return Problem.objects.none()
    match = Q()
    relevance: Combinable = Value(0)
    for word in words:
        in_title = Q(title__icontains=word)
        elsewhere = (
            Q(workaround__icontains=word)
            | Q(symptoms__icontains=word)
            | Q(service__name__icontains=word)
        )
        match |= in_title | elsewhere
        relevance = (
            relevance
            + Case(When(in_title, then=Value(3)), default=Value(0), output_field=IntegerField())
            + Case(When(elsewhere, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
    return (
        known_errors_published()
        .filter(match)
        .annotate(relevance=relevance)
        .order_by("-relevance", "-known_error_at", "-id")
    )


def _query(request: HttpRequest, name: str) -> str:
    return request.GET.get(name, "")[:QUERY_MAX_LENGTH].strip()


@login_required
@require_GET
def known_error_suggest(request: HttpRequest) -> HttpResponse:
    """The htmx partial under the report form's title: at most SUGGESTION_LIMIT matches."""
    text = _query(request, "title") or _query(request, "q")
    matches = list(known_errors_matching(text)[:SUGGESTION_LIMIT]) if text else []
    return render(
        request,
        "problems/portal/_suggestions.html",
        {"known_errors": matches, "query": text},
    )


@login_required
@require_GET
def known_error_search(request: HttpRequest) -> HttpResponse:
    """The search page of the portal: matches for ?q=, or every current known issue."""
    text = _query(request, "q")
    found = known_errors_matching(text) if text else known_errors_published()
    page = Paginator(found, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    has_words = bool(search_words(text)) if text else False
    return render(
        request,
        "problems/portal/search.html",
        {"page": page, "query": text, "has_words": has_words},
    )
