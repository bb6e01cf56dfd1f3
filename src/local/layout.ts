import { join } from 'node:path';

/** Where local mode keeps its state: `.ecs-migrate/` in the working directory, one folder per environment. */
export class LocalLayout {
  constructor(
    readonly root: string,
    readonly environment: string,
  ) {}
  get envDir(): string {
    return join(this.root, this.environment);
  }
  /** Every REDACT_PATTERNS a local run of the environment used (cli/local-redaction.ts): `logs` redacts with them. */
  get redactPatternsFile(): string {
    return join(this.envDir, 'redact-patterns.json');
  }
  get stateFile(): string {
    return join(this.envDir, 'environment.json');
  }
  get serviceFile(): string {
    return join(this.envDir, 'service.json');
  }
  get eventsFile(): string {
    return join(this.envDir, 'events.jsonl');
  }
  get databaseDir(): string {
    return join(this.envDir, 'pgdata');
  }
  /** Held by the `ecs-migrate local` process that runs this environment (see EnvironmentLock). */
  get lockFile(): string {
    return join(this.envDir, 'lock.json');
  }
  get imagesFile(): string {
    return join(this.root, 'images.json');
  }
  /** Tags of local images (LocalRegistry). */
  get tagsFile(): string {
    return join(this.root, 'tags.json');
  }
  deploymentFile(id: string): string {
    return join(this.envDir, 'deployments', `${id}.json`);
  }
  get deploymentsDir(): string {
    return join(this.envDir, 'deployments');
  }
  taskDefinitionFile(family: string, revision: number): string {
    return join(this.envDir, 'task-definitions', `${family}-${revision}.json`);
  }
  /** A simulated service deployment of the owner's (pause-hook mode) and its target revision, by id. */
  serviceDeploymentFile(id: string): string {
    return join(this.envDir, 'service-deployments', `${id}.json`);
  }
  taskLogFile(taskId: string): string {
    return join(this.envDir, 'logs', `${taskId}.log`);
  }
}
