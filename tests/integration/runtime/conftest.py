from tests.fixtures.paper import *  # noqa: F401,F403
from tests.fixtures.postgres import postgres_server, postgres_url  # noqa: E402,F401
