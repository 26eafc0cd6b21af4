"""Simulated STS: who signs each request, and the sessions AssumeRole hands out."""
