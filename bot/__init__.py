"""QuantShield: a Binance USD-M futures bot that never leaves a position without a stop."""
