"""Simulated CloudWatch alarms: the API tests use to create, read and fire them."""
