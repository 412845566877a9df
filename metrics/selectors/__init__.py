"""Read-only metric selectors: each one SQL aggregate returning a dataclass.

Every selector takes a `metrics.filters.MetricFilter` (period + channel, team, agent, tag,
priority). Definitions: docs/metrics.md.
"""
