from tests.fixtures.postgres import postgres_server, postgres_url  # noqa: F401
