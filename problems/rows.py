"""Row helpers shared by the problem write modules (services, links)."""

from core.exceptions import ConflictError, TransitionError
from problems import transitions
from problems.models import Problem


def lock_problem(problem: Problem, expected_version: int | None) -> Problem:
    """Lock the problem row; a stale `expected_version` is a ConflictError."""
    locked = Problem.objects.select_for_update(of=("self",)).get(pk=problem.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.number} was changed by someone else since you opened it "
            f"(version {expected_version}, now {locked.version}). Reload and try again."
        )
    return locked


def refuse_final(problem: Problem) -> None:
    if problem.status in transitions.FINAL:
        raise TransitionError(
            f"{problem.number} is {problem.get_status_display().lower()}; it cannot change anymore."
        )
