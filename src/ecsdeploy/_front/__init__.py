"""What every front (the CLI, the Drone plugin, the GitHub Action) shares: exit codes, AWS
settings, error mapping, logging, presenters and signal handling. No front imports another's."""
