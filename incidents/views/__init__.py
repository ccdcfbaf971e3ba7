"""HTML pages for incidents: the end-user portal (portal.py) and the agent workspace (agent.py).

Views validate input with incidents.forms, read through incidents.selectors and core.selectors,
and write only through the services; domain errors become messages or field errors, never a 500.
"""
