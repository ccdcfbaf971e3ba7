"""The options of the assignment form — the people who work tickets, the active support groups —
kept per process (core.config_memo) rather than read on every ticket page: they change when
someone's account, roles or a group change, and a page is read far more often than that.

Any save or delete of a user, a role group, a membership or a support group forgets them (at
once in this process, within CONFIG_MEMO_RECHECK_SECONDS in the others). Validation of a
posted choice still reads the database (the form field keeps its queryset). Connected in
CoreConfig.ready().
"""

from core.config_memo import ConfigMemo

ASSIGNMENT_CHOICES_MEMO = ConfigMemo(
    "assignment-choices", ["core.User", "core.User_groups", "auth.Group", "core.SupportGroup"]
)


def connect_assignment_choices_memo() -> None:
    ASSIGNMENT_CHOICES_MEMO.connect()
