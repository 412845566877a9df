"""An append-only audit log: configuration changes, data exports and erasures."""
