"""Readiness for load balancers: the database answers and no migration is waiting."""

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor


def readiness_problems(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """[] when ready, else the names of what is wrong: "database" or "migrations"."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return ["database"]
    return ["migrations"] if pending else []
