"""Tools for developers, apart from the use cases: the demo company (`flask planner demo`),
the benchmark companies and the benchmarks (`flask planner bench-*`), and a fake Web Push
service. Nothing in planner/services or the pages imports from here."""
