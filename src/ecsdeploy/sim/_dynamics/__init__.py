"""Deployment dynamics on simulated time: state, clock, task lifecycles, rolling updates, the
circuit breaker, container rules and service events."""
