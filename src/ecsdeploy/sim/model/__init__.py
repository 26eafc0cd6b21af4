"""The ECS service model the simulator validates against (data; see `ecsdeploy.sim._validation`)."""
