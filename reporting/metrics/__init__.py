"""The metric families. Each function takes a reporting.filters.ReportFilter and returns a small
dataclass computed by a handful of SQL queries (aggregates, window functions), never by a loop
over tickets in Python."""
