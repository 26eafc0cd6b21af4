"""`python -m ecsdeploy.github`: the GitHub Action's step."""

import sys

from ecsdeploy.github import main

sys.exit(main())
