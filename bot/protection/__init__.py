"""The protection core: the one place that decides, places and cancels stops.

The executor, the monitor, flatten and reconciliation all go through ``Protector``;
there is no second copy of "place a stop" and no cancel that skips its coverage guard.
"""
