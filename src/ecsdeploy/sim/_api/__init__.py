"""The ECS API operations: one module per resource family, rendering state into botocore's output
shapes, and the errors ECS answers with."""
