"""The wire: the HTTP server, AWS JSON 1.1 framing, request validation against the ECS model,
throttling, fault injection, stale answers and the control API."""
