"""SLA what-if (issue 17): replay past tickets under a draft of SLA policies, in the background,
without touching stored clocks. `draft` validates the draft and turns it into the replay's
policy lookup, `run` is the job, `services` / `selectors` the writes and reads, `views`,
`forms` and `exports` the manager's pages. docs/sla-replay.md describes it."""
