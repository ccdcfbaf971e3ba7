"""`field__in_constants=[...]`: an IN over values the code names (a kind's open statuses), written
into the SQL rather than passed as parameters.

On PostgreSQL a kept statement is prepared and, after five runs, planned once for any
parameters (docs/pages.md, "Prepared on PostgreSQL"). A partial index on the open statuses
(`incident_open_sla_due`, `incident_open_window`) serves a query only when the planner can see
that the query asks for those statuses; as parameters it cannot, so the queue's rows were
planned on every request (about 1.4 ms) or, worse, ran on a generic plan without the index.
With the statuses in the SQL, the one generic plan uses the index: the queue's page of rows
took 0.9 ms on its generic plan against 4.8 to 12.6 ms (1M incidents, a loaded machine).

Only plain words are accepted (letters, digits, underscores): these are names from the code,
never user input, and anything else is refused rather than quoted.

`field__equals_constant=n` does the same for one integer: a ticket kind's content type in the
timeline's and the SLA clocks' statements. As a parameter, the generic plan assumed the most
common kind's share of the rows (incidents'), so for a change, a request or a problem PostgreSQL
judged it worse than a custom plan and planned the statement again on every request (about
0.4 ms of each of those pages); with the kind in the SQL each kind has its own statement and
its generic plan fits it. Only an `int` is accepted.
"""

import re
from typing import Any

from django.db.models import CharField, ForeignKey, IntegerField, Lookup
from django.db.models.sql.compiler import SQLCompiler

_PLAIN = re.compile(r"[A-Za-z0-9_]+")


class InConstants(Lookup):
    lookup_name = "in_constants"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = sorted(set(self.rhs))
        if not values or not all(isinstance(v, str) and _PLAIN.fullmatch(v) for v in values):
            raise ValueError(f"in_constants takes plain words from the code, not {self.rhs!r}")
        quoted = ", ".join(f"'{value}'" for value in values)
        return f"{lhs} IN ({quoted})", tuple(lhs_params)


class EqualsConstant(Lookup):
    lookup_name = "equals_constant"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if type(self.rhs) is not int:
            raise ValueError(f"equals_constant takes an int from the code, not {self.rhs!r}")
        return f"{lhs} = {self.rhs:d}", tuple(lhs_params)


def register_constant_in() -> None:
    CharField.register_lookup(InConstants)
    IntegerField.register_lookup(EqualsConstant)
    ForeignKey.register_lookup(EqualsConstant)
