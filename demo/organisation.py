"""Fixed demo content: people, support groups, services with their CIs (incident templates are
in demo.incidents.failures).

Plain data, no database. Names come from fixed lists rather than Faker, which is a dev-only
dependency, so the runtime install can seed too and the same people appear on every machine.
"""

from dataclasses import dataclass
from typing import Any

from core.choices import Criticality, Role, Tier
from demo.data import load

DEMO_PASSWORD = "demo"  # noqa: S105 — documented demo credential, printed by the README


@dataclass(frozen=True)
class DemoLogin:
    """A documented login (README, `make run`): one per role."""

    username: str
    first_name: str
    last_name: str
    role: Role
    support_group: str | None = None
    is_superuser: bool = False


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "Sam", "Taylor", Role.ADMIN, is_superuser=True),
    DemoLogin("manager", "Morgan", "Lee", Role.MANAGER),
    DemoLogin("agent1", "Priya", "Sharma", Role.AGENT, support_group="Service Desk"),
    DemoLogin("agent2", "Lukas", "Weber", Role.AGENT, support_group="Application Support"),
    DemoLogin("agent3", "Wei", "Chen", Role.AGENT, support_group="Engineering"),
    DemoLogin("user", "Jamie", "Doe", Role.END_USER),
)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    tier: Tier
    email: str
    extra_agents: int


# About sixty agents: a desk that takes a million incidents in two years (DESIGN.md §7) and
# still fits every assignee select box (at most 200 options).
GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("Service Desk", Tier.L1, "servicedesk@example.com", 21),
    GroupSpec("Application Support", Tier.L2, "appsupport@example.com", 13),
    GroupSpec("Infrastructure", Tier.L2, "infrastructure@example.com", 14),
    GroupSpec("Engineering", Tier.L3, "engineering@example.com", 8),
)
FIRST_LINE_GROUP = "Service Desk"
THIRD_LINE_GROUP = "Engineering"

# Everyone in the demo, the logins included: the 2,000 users of the benchmark data set.
PEOPLE = 2_000

# Names of the extra people: every first name with every last name, then again with a number
# (emma.khan2), as a big company's directory does.
FIRST_NAMES: tuple[str, ...] = (
    "Emma",
    "Noah",
    "Olivia",
    "Liam",
    "Sofia",
    "Mateo",
    "Amara",
    "Kenji",
    "Fatima",
    "Oskar",
    "Chloé",
    "Diego",
    "Hannah",
    "Ravi",
    "Ingrid",
    "Tomás",
    "Aisha",
    "Jonas",
    "Mei",
    "Pablo",
    "Nadia",
    "Elias",
    "Zoe",
    "Arjun",
    "Lena",
    "Kwame",
    "Clara",
    "Yusuf",
    "Maja",
    "Hugo",
    "Sara",
    "Felix",
    "Leila",
    "Marco",
    "Anouk",
    "Tariq",
    "Julia",
    "Nils",
    "Grace",
    "Omar",
    "Irene",
    "Luca",
    "Ayumi",
    "Bruno",
    "Eva",
    "Samir",
    "Nora",
    "Viktor",
)
LAST_NAMES: tuple[str, ...] = (
    "Schmidt",
    "Martin",
    "García",
    "Rossi",
    "Nowak",
    "Jensen",
    "Okafor",
    "Tanaka",
    "Haddad",
    "Lindqvist",
    "Dubois",
    "Fernández",
    "Müller",
    "Patel",
    "Hansen",
    "Silva",
    "Rahman",
    "Becker",
    "Wang",
    "López",
    "Kowalski",
    "Novak",
    "Brown",
    "Iyer",
    "Fischer",
    "Mensah",
    "Moreau",
    "Demir",
    "Andersen",
    "Laurent",
    "Costa",
    "Wagner",
    "Khan",
    "Romano",
    "de Vries",
    "Aziz",
    "Keller",
    "Berg",
    "Murphy",
    "Hassan",
    "Conti",
    "Meyer",
    "Sato",
    "Ferreira",
    "Lambert",
    "Yilmaz",
    "Olsen",
    "Petrov",
)

SITES: tuple[str, ...] = (
    "HQ",
    "the Berlin office",
    "the Lyon office",
    "the Madrid office",
    "the warehouse",
    "the finance floor",
    "the sales floor",
    "home office",
)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    description: str
    owner: str
    criticality: Criticality
    cis: tuple[tuple[str, str], ...]  # (name, kind)
    weight: int  # how often it breaks, relative to the others


def _service(entry: dict[str, Any]) -> ServiceSpec:
    return ServiceSpec(
        name=entry.pop("name"),
        description=entry.pop("description"),
        owner=entry.pop("owner"),
        criticality=Criticality(entry.pop("criticality")),
        cis=tuple((name, kind) for name, kind in entry.pop("cis")),
        weight=int(entry.pop("weight")),
        **entry,  # an unknown key is a TypeError, reported with its entry
    )


# The services and their CIs: demo/data/services.toml.
SERVICES: tuple[ServiceSpec, ...] = load("services.toml", "service", _service)
