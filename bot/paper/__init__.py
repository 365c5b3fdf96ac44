"""An embedded Binance USD-M futures exchange for offline paper trading and tests.

Knows nothing of the bot: it speaks Binance's REST API on loopback and is
reached through python-binance exactly like the real venue.
"""
