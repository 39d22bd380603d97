"""Inventory that can move: deposit/withdrawal networks per venue (:mod:`.networks`, loaded by :mod:`.watch`),
opportunities marked by whether their inventory can be restored (:mod:`.marks`), and the rebalancing
planner (:mod:`.planner`) behind ``arb rebalance``, the report's "net after rebalancing" and the alert
suggestion when a direction is disabled for lack of balance. arb never withdraws: plans are for the operator.
"""
