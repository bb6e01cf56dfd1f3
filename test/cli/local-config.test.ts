import { describe, expect, it } from 'vitest';
import { checkLocalConfigKeys, closestKey } from '../../cli/config-keys.js';
import { CliUsageError, localConfig, localDefaults, validConfig } from '../../cli/local-config.js';
import { CONFIG_KEYS } from '../../src/core/config.js';
import { parseImageRef } from '../../src/core/image-ref.js';

const environmentOf = (app: string, databaseUrl?: string) => validConfig(localDefaults(app, databaseUrl)).ENVIRONMENT;

describe("local mode's environment", () => {
  it('is local-<app> on the embedded database', () => {
    expect(environmentOf('app')).toBe('local-app');
  });

  it("is the database's with --database-url: its host, port and name, never its user or password", () => {
    const env = environmentOf('app', 'postgres://u:p@127.0.0.1:1/db');
    expect(env).toMatch(/^local-app-[0-9a-f]{6}$/);
    expect(env).not.toBe(environmentOf('app'));
    // The same database with other credentials, or with the default port spelled out: the same environment.
    expect(environmentOf('app', 'postgresql://other:secret@127.0.0.1:1/db?sslmode=disable')).toBe(env);
    expect(environmentOf('app', 'postgres://u@db.example:5432/shop')).toBe(environmentOf('app', 'postgres://db.example/shop'));
    // Another host, port or database: another environment.
    for (const other of ['postgres://u:p@127.0.0.2:1/db', 'postgres://u:p@127.0.0.1:2/db', 'postgres://u:p@127.0.0.1:1/db2'])
      expect(environmentOf('app', other)).not.toBe(env);
  });

  it('stays within the 32 characters of an environment name for a long app name, with a hash of the name', () => {
    const app = 'a-very-long-application-directory-name';
    expect(environmentOf(app)).toMatch(/^local-a-very-long-applica-[0-9a-f]{6}$/);
    expect(environmentOf(app)).toHaveLength(32);
    const env = environmentOf(app, 'postgres://u:p@127.0.0.1:1/db');
    expect(env).toMatch(/^local-a-very-long-applica-[0-9a-f]{6}$/);
    expect(env).toHaveLength(32);
    expect(env).not.toBe(environmentOf(app));
  });

  it('is local-<dir name> for a name that fits as it is, so a run keeps the state of the runs before', () => {
    expect(environmentOf('/srv/apps/shop-api')).toBe('local-shop-api');
    expect(environmentOf('customer-service-migrat')).toBe('local-customer-service-migrat');
    expect(environmentOf('shop-api', 'postgres://u:p@127.0.0.1:1/db')).toMatch(/^local-shop-api-[0-9a-f]{6}$/);
  });

  it('differs for distinct directory names that would be cut or changed into one (two apps never share a database)', () => {
    for (const databaseUrl of [undefined, 'postgres://u:p@127.0.0.1:1/db']) {
      for (const names of [
        ['/tmp/customer-service-migrations-one', '/tmp/customer-service-migrations-two', 'customer-service-migration'],
        ['My App_v2', 'my-app-v2', 'my_app_v2', 'MY-APP-V2'],
        ['ünïcode', 'n-code', 'uenicode'],
        ['app-', '-app', 'app'],
      ]) {
        const environments = names.map((name) => environmentOf(name, databaseUrl));
        expect(new Set(environments).size, `${names.join(', ')} → ${environments.join(', ')}`).toBe(names.length);
        for (const env of environments) expect(env.length).toBeLessThanOrEqual(32);
      }
    }
    expect(environmentOf('My App_v2')).toMatch(/^local-my-app-v2-[0-9a-f]{6}$/);
    expect(environmentOf('ünïcode')).toMatch(/^local-n-code-[0-9a-f]{6}$/);
    // The same name composed or decomposed (as macOS may hand it over) is the same directory.
    expect(environmentOf('ünïcode'.normalize('NFD'))).toBe(environmentOf('ünïcode'.normalize('NFC')));
    expect(environmentOf('!!!')).toMatch(/^local-[0-9a-f]{6}$/);
  });

  it('is a usage error, without the password, for a --database-url that is not a URL', () => {
    expect(() => localDefaults('app', 'postgres://u:secret@[bad/db')).toThrow(CliUsageError);
    expect(() => localDefaults('app', 'postgres://u:secret@[bad/db')).not.toThrow(/secret/);
  });
});

describe("local mode's SERVICE and REPOSITORY", () => {
  it("are the app directory's name made a repository name the controller's image grammar accepts", () => {
    // Was: `_app`, `worker_` and `a_-b` were kept as they are, and every request naming the app's image (`--rerun`,
    // `--command`, a first `--run`) was rejected: "… has a malformed repository".
    const cases = [
      ['My App_v2', 'my-app_v2'],
      ['shop-api', 'shop-api'],
      ['a__b--c', 'a__b--c'],
      ['_app', 'app'],
      ['worker_', 'worker'],
      ['a_-b', 'a-b'],
      ['a___b', 'a-b'],
      ['_My App_-v2_', 'my-app-v2'],
      ['___', 'app'],
    ] as const;
    for (const [dir, name] of cases) {
      const { SERVICE, REPOSITORY } = localDefaults(`/apps/${dir}`);
      expect({ dir, SERVICE, REPOSITORY }).toEqual({ dir, SERVICE: name, REPOSITORY: name });
      expect(parseImageRef(`local/${REPOSITORY}@sha256:${'0'.repeat(64)}`).ok, dir).toBe(true);
    }
  });
});

describe("local --config's keys", () => {
  const problem = (values: Record<string, unknown>) => {
    try {
      checkLocalConfigKeys(values, 'cfg.json');
    } catch (error) {
      expect(error).toBeInstanceOf(CliUsageError);
      return (error as Error).message;
    }
    return undefined;
  };

  it('are the keys of the configuration: any other is refused, naming it and the key it is a typo of', () => {
    expect(problem(Object.fromEntries(CONFIG_KEYS.filter((k) => k !== 'REGISTRY').map((k) => [k, '1'])))).toBeUndefined();
    expect(problem({ TIMEOUT_MINUTE: '1' })).toBe('unknown key TIMEOUT_MINUTE in cfg.json; did you mean TIMEOUT_MINUTES?');
    expect(problem({ ROLLOUT_MODE: 'pause-hook', alowed_commands: 'x', FOO: '1' })).toBe(
      'unknown key alowed_commands in cfg.json (and 1 more: FOO); did you mean ALLOWED_COMMANDS?',
    );
    expect(problem({ COLOUR: 'blue' })).toBe(`unknown key COLOUR in cfg.json; expected keys: ${CONFIG_KEYS.join(', ')}`);
    expect(problem({ [`A\n${'B'.repeat(100)}`]: 1 })).toMatch(/^unknown key A B{35}\.\.\. in cfg\.json; expected keys: /);
  });

  it("refuse a deployed stack's settings, which local mode does not use", () => {
    expect(problem({ DEPLOYMENTS_TABLE: 't' })).toBe(
      "key DEPLOYMENTS_TABLE in cfg.json is a deployed stack's setting, which local mode does not use; remove it",
    );
  });

  it("refuse REGISTRY: local images live in local mode's own registry, so a push named in another never pulls", () => {
    // Was: accepted, and every task of the run failed to start (CannotPullContainerError … build it with
    // "ecs-migrate local --app DIR"), advice that repeats what was run.
    expect(problem({ REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' })).toBe(
      'key REGISTRY in cfg.json: local mode builds and pulls its images in its own registry; remove it',
    );
  });

  it('suggest only a key close enough to be a typo of it', () => {
    expect(closestKey('timeout_minutes', CONFIG_KEYS)).toBe('TIMEOUT_MINUTES');
    expect(closestKey('HOOK_STAGES', CONFIG_KEYS)).toBe('HOOK_STAGE');
    expect(closestKey('SERVICESS', CONFIG_KEYS)).toBe('SERVICES');
    expect(closestKey('TIMEOUT', CONFIG_KEYS)).toBeUndefined();
    expect(closestKey('X', CONFIG_KEYS)).toBeUndefined();
  });
});

describe('local --help', () => {
  it('says what --config does, over which defaults', async () => {
    const { LOCAL_USAGE } = await import('../../cli/usage.js');
    const option = /^ {2}--config +(.*(?:\n {18}.*)*)/m.exec(LOCAL_USAGE)?.[1] ?? '';
    expect(option).toMatch(/JSON object of configuration keys/);
    expect(option).toContain(`ALLOWED_COMMANDS ${localDefaults('app').ALLOWED_COMMANDS}`);
    expect(option).toMatch(/environment variables are not read/);
  });
});

describe("local mode's gated service", () => {
  const defaults = localDefaults('/apps/shop');

  it('is the app by default, or the one service a --config names, as SERVICE or as SERVICES', () => {
    expect(localConfig(defaults, {}).SERVICES).toEqual(['shop']);
    expect(localConfig(defaults, { SERVICE: 'web' }).SERVICES).toEqual(['web']);
    // SERVICES replaces the default SERVICE: "set SERVICE or SERVICES, not both" named a key the user never set.
    expect(localConfig(defaults, { SERVICES: 'web' }).SERVICES).toEqual(['web']);
  });

  it('is one: several SERVICES are refused (exit 2), since local mode simulates one service and would report the others not moved', () => {
    for (const overrides of [{ SERVICES: 'web,worker' }, { SERVICE: '', SERVICES: 'web,worker' }]) {
      expect(() => localConfig(defaults, overrides)).toThrow(CliUsageError);
      expect(() => localConfig(defaults, overrides)).toThrow(
        'SERVICES web, worker: local mode simulates one service; name one (SERVICE), or gate several on a deployed stack',
      );
    }
  });

  it('is still checked like any key: SERVICE and SERVICES both set is a configuration error', () => {
    expect(() => localConfig(defaults, { SERVICE: 'web', SERVICES: 'web' })).toThrow(/not both/);
  });
});
