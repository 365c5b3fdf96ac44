"""Process-level wiring: logging, the scheduler and the assembled bot."""
