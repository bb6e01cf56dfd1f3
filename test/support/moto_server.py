"""The moto server of ecs-migrate's tests: moto 5.x with the test-only extensions, then `moto.server.main(argv)`.

Started by test/support/moto-server.ts as `python3 test/support/moto_server.py -H 127.0.0.1 -p PORT`. Every patch
changes moto classes in this process only (no files), right after moto imports the module it patches, so moto
still loads each backend on its first request and the server answers as soon as plain moto_server would.
Each patch says why it exists:

- moto_pause_hooks: ECS service deployments, service revisions and PAUSE lifecycle hooks (moto 5.2.1 raises
  NotImplementedError for ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions and
  ContinueServiceDeployment, and drops deploymentConfiguration), with control endpoints that pause a deployment
  and put its ECS events on the default bus.
- moto_ecs_tasks: task states as ECS reports them (moto 5.2.1 moves a task one state further on every DescribeTasks
  and reports exit code 0 before a container ran), with a control endpoint that makes a task's container exit.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import moto_ecs_tasks  # noqa: E402  (after the path above; imports nothing of moto)
import moto_pause_hooks  # noqa: E402


class AfterImport(importlib.abc.MetaPathFinder):
    """Runs each of `patches[name]` on the module once moto has imported `name` (and before anything uses it)."""

    def __init__(self, patches: dict[str, list[Callable[[ModuleType], None]]]) -> None:
        self.patches = dict(patches)

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        patches = self.patches.pop(name, None)
        if patches is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            for patch in patches:
                patch(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


patches: dict[str, list[Callable[[ModuleType], None]]] = {}
for extension in (moto_pause_hooks, moto_ecs_tasks):
    for module_name, patch in extension.PATCHES.items():
        patches.setdefault(module_name, []).append(patch)
sys.meta_path.insert(0, AfterImport(patches))

try:
    import moto.server
except ImportError as error:  # the launcher shows this line
    sys.exit(f"moto is not installed for {sys.executable} ({error}): pip install 'moto[server]'")

if __name__ == "__main__":
    moto.server.main(sys.argv[1:])
