"""Patch rollouts (issue: patch management complements incident management).

A patch rollout is a standard change opened from a patch template (`ChangeTemplate.is_patch`):
it carries the patches it rolls out (vendor identifiers and the CVE ids they fix) and the
configuration items it covers, each with how far it got (pending, done, failed, skipped).
`cve` parses CVE ids, `services` writes advisories and targets, `selectors` reads rollouts,
their progress, the rollouts a ticket should see, and the CIs still exposed per CVE.
"""
