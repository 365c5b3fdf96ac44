"""QuantShield: a Binance USD-M futures bot whose open positions always have a stop on the exchange."""
