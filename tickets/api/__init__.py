"""The REST API of the `tickets` app, one module per resource."""
