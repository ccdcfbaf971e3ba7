"""SLA replay: rebuild a ticket's clocks from its timeline under a set of policies (DESIGN.md §5,
"What-if"). `engine` is pure, `inputs` loads what it needs in batches, `compare` holds the replay
against the stored clocks. docs/sla-replay.md describes it."""
