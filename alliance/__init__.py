"""The composition root and operator tools: the ``alliance`` command, the service runner and
supervisor, the embedded database, health checks, event backfill and the demo seed.

The only package that may import every service; nothing imports it back.
"""
