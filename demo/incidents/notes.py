"""What people write while an incident waits or is cancelled, and in replies and internal notes.
Plain data."""

from incidents.choices import CancelReason, HoldReason

HOLD_NOTES: dict[str, tuple[str, ...]] = {
    HoldReason.AWAITING_USER: (
        "Asked the user for a screenshot of the error; waiting for the reply.",
        "Waiting for the user to confirm a time for a remote session.",
    ),
    HoldReason.AWAITING_VENDOR: (
        "Case opened with the vendor; waiting for their engineer.",
        "Replacement part ordered, delivery expected in two days.",
    ),
    HoldReason.AWAITING_CHANGE: (
        "Fix needs the change window on Thursday night.",
        "Waiting for the change advisory board to approve the configuration change.",
    ),
    HoldReason.AWAITING_PROBLEM: (
        "Linked to an open problem; waiting for the root-cause fix.",
        "Same cause as other open incidents; waiting for problem management.",
    ),
}

CANCEL_NOTES: dict[str, tuple[str, ...]] = {
    CancelReason.DUPLICATE: (
        "Same issue already reported by a colleague; following up there.",
        "Duplicate of an open incident for the same outage.",
    ),
    CancelReason.NOT_AN_INCIDENT: (
        "Works as designed; explained the setting to the user.",
        "Planned maintenance announced last week, not a fault.",
    ),
    CancelReason.CONVERTED_TO_REQUEST: (
        "This is a request for new software; please use the catalog.",
        "Access request, handled through the service catalog instead.",
    ),
}

AGENT_REPLIES: tuple[str, ...] = (
    "Thanks for reporting this. We are looking into it and will update you shortly.",
    "Could you tell us when this started and whether colleagues are affected too?",
    "We found the cause and are working on a fix. Thanks for your patience.",
    "Please restart the application once and let us know if the error comes back.",
)
REQUESTER_REPLIES: tuple[str, ...] = (
    "Any update? This is blocking my work.",
    "It happened again just now, at about 10:15.",
    "Thanks, it works again on my side.",
    "Colleagues next to me have the same problem.",
)
INTERNAL_NOTES: tuple[str, ...] = (
    "Checked the logs: errors start at the same time as the overnight job.",
    "Similar to last month's incident; the workaround from then still applies.",
    "Called the user, reproduced it together on a remote session.",
    "Vendor support case opened, reference in the notes of the CI.",
)

# Why a requester reopened a resolved incident (the `reopen` action's reason).
REOPEN_NOTES: tuple[str, ...] = (
    "It happened again this morning; the fix did not hold.",
    "Still broken for me after the restart, please have another look.",
    "Works on my laptop now but not on the meeting-room PC.",
    "The error is back since the update last night.",
)

# What requesters write with a rating, by how they felt about it (most ratings come without).
RATING_COMMENTS: dict[str, tuple[str, ...]] = {
    "good": (
        "Quick and friendly, thank you.",
        "Fixed before my meeting, great.",
        "Clear explanation of what went wrong.",
    ),
    "bad": (
        "Took far too long; I could not work for two days.",
        "Had to explain the problem three times.",
        "Fixed in the end, but nobody told me what was going on.",
    ),
}
