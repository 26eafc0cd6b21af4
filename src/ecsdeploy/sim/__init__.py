"""The bundled ECS simulator."""
