"""Turning decisions into positions (executor) and positions into nothing (flatten)."""
