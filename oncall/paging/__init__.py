"""Paging: starting a page for a ticket, working its escalation, notifying people through their
contact methods, and acknowledging (see oncall.models.paging for the data)."""
