"""Suite-wide settings: property tests are reproducible and never fail on a slow, shared box."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "quantshield",
    deadline=None,  # 2 shared cores: wall-clock deadlines would only measure the neighbours
    derandomize=True,  # CI replays the same examples; a failure reproduces on any machine
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("quantshield")
