"""The change calendar: which changes run when, which of them clash (overlapping changes on the
same service or configuration item, changes inside a freeze window), the freeze windows and
standard-change templates managers keep, and the calendar's iCalendar feed."""
