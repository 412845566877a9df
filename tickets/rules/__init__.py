"""The rules engine: conditions and actions registered by name, pure evaluation in `engine`,
application through the ticket services in `apply`."""
