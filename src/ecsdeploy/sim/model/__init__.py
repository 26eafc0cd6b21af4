"""The ECS service model the simulator validates against (data; read by `sim._wire.validation`)."""
