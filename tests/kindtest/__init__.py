"""A fourth ticket kind that exists only for the tests ("chores"): a model on the ticket base, a
lifecycle table, an action table and a registration — and nothing else. Everything it can do
comes from the kernel (tests/kindtest/test_kind.py proves it)."""
