"""The web edge: HTTP handlers that feed the bot (the signal webhook)."""
