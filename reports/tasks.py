"""Background job functions of the reports app (registered on import by kedaitong's autodiscovery)."""

from reports import exports  # noqa: F401
