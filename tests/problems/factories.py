"""Factories for problems, stored directly in a given state (the lifecycle itself is exercised
through problems.services)."""

from datetime import timedelta

import factory
from django.utils import timezone

from core.choices import Priority
from problems.choices import ProblemStatus
from problems.models import Problem
from tests.factories import UserFactory


class ProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Problem

    number = factory.Sequence(lambda n: f"PRB-9{n:05d}")
    title = factory.Faker("sentence", nb_words=5)
    description = factory.Faker("paragraph")
    requester = factory.SubFactory(UserFactory)
    priority = Priority.P3
    status = ProblemStatus.NEW
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    updated_at = factory.LazyAttribute(lambda o: o.created_at)


class KnownErrorFactory(ProblemFactory):
    status = ProblemStatus.KNOWN_ERROR
    root_cause = "The mail relay's certificate expired."
    workaround = "Use webmail at https://mail.example.com until the fix is rolled out."
    investigating_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    known_error_at = factory.LazyFunction(timezone.now)
