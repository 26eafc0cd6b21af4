"""The suite's own pytest plugin, registered by tests/conftest.py, so that every test package
gets the same fixtures and no conftest imports another package's:

- `moto`: moto's server (`moto_url`, fresh per test; `moto_ecs_url`, one per session);
- `scenario`: what deployment tests share (the usual target, a crashing image, phase hooks,
  a clock in lockstep with the deployer's polls), imported rather than registered;
- `fronts`: `ecsdeploy sim` as a process for the front tests (`simulated`), with what each
  test leaves behind (services, rules, structlog's configuration) cleared after it.

The fixtures users get (`ecs_simulator`, `ecs_services`, `ecs_deployer` ...) come from the
public plugin, `ecsdeploy.testing`, which tests/conftest.py registers too.
"""
