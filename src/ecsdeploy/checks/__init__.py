"""Health-check strategies."""
