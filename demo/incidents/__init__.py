"""Generated demo incidents: from a few hundred for `make run` to millions for benchmarks.

shape      status mix, pace, ages, forced coverage and row layouts of generated incidents
failures/  what breaks per service and what agents write about it (plain data)
notes      hold and cancel notes, replies and internal notes (plain data)
planner    one incident with its rows, built in memory: its walk through the lifecycle and when
timeline   its timeline events, one per transition of the walk, and maybe a comment
clocks     the SLA clocks of an open incident
batches    batches of planned rows, planned here or in worker processes
loader     batches with reserved ticket numbers and ids, in report-time order
"""
