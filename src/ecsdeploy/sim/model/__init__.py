"""The service models the simulator validates against and serializes with (data; read by
`sim._wire.validation`): ECS, ELBv2, CloudWatch and STS, all from the botocore in SOURCE."""
