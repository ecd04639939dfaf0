"""The gateway's routes, one module per domain service."""
