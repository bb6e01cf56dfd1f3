import type { Deployment } from './deployment.js';

/** What a task definition says of a container, as far as stopping its task goes (ECS's own field names). */
export interface ContainerStartOrder {
  name?: string;
  /** ECS's default is true. */
  essential?: boolean;
  dependsOn?: readonly { containerName?: string; condition?: string }[];
}

/**
 * The essential containers other than the migration container that may run beside it: when one of them exits, ECS
 * stops the task (`EssentialContainerExited`) and sends the migration SIGTERM, so the migration's exit 0 then proves
 * nothing. Left out: those that start only after the migration container exited (a `SUCCESS` or `COMPLETE` dependency on
 * it, directly or through containers that wait on such a one), since the migration had finished before they ran.
 */
export function essentialSidecars(containers: readonly ContainerStartOrder[], migration: string): string[] {
  const after = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of containers) {
      if (c.name === undefined || c.name === migration || after.has(c.name)) continue;
      const waits = (c.dependsOn ?? []).some(
        (dep) =>
          (dep.containerName === migration && (dep.condition === 'SUCCESS' || dep.condition === 'COMPLETE')) ||
          (dep.containerName !== undefined && after.has(dep.containerName)),
      );
      if (waits) {
        after.add(c.name);
        grew = true;
      }
    }
  }
  return containers.flatMap((c) =>
    c.name !== undefined && c.name !== migration && c.essential !== false && !after.has(c.name) ? [c.name] : [],
  );
}

/** The essential containers beside the migration of a deployment's recorded task (`Running.essentialSidecars`), if known. */
export function sidecarsOf(d: Deployment | undefined): readonly string[] | undefined {
  return d?.status === 'running' ? d.essentialSidecars : undefined;
}
