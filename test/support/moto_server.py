"""The moto server of ecs-migrate's tests: moto 5.x with the test-only extensions, then `moto.server.main(argv)`.

Started by test/support/moto-server.ts as `python3 test/support/moto_server.py -H 127.0.0.1 -p PORT`. Every patch
changes moto classes in this process only (no files); each one says why it exists:

- moto_pause_hooks: ECS service deployments, service revisions and PAUSE lifecycle hooks (moto 5.2.1 raises
  NotImplementedError for ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions and
  ContinueServiceDeployment, and drops deploymentConfiguration), with control endpoints that pause a deployment
  and put its ECS events on the default bus. Importing it loads moto's ECS backend now instead of on the first
  ECS call, which moves about a second from the first test to the start; the run takes as long.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import moto.server
except ImportError as error:  # the launcher shows this line
    sys.exit(f"moto is not installed for {sys.executable} ({error}): pip install 'moto[server]'")

import moto_pause_hooks

moto_pause_hooks.apply()

if __name__ == "__main__":
    moto.server.main(sys.argv[1:])
