"""`python -m ecsdeploy.drone`: the Drone plugin, like the `ecsdeploy-drone` command."""

from __future__ import annotations

import sys

from ecsdeploy.drone import main

sys.exit(main())
