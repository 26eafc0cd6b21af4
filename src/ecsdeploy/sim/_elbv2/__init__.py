"""Simulated Elastic Load Balancing v2: load balancers, listeners and rules, target groups and
the health of their targets on the simulated clock."""
