from tests.fixtures.paper import *  # noqa: F401,F403
