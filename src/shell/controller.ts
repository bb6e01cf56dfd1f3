import { type Decision, reject } from '../core/actions.js';
import type { Config } from '../core/config.js';
import { decideContext } from '../core/context.js';
import { decide } from '../core/decide.js';
import type { Input } from '../core/inputs.js';
import { loadPlan } from '../core/load-plan.js';
import { parseInput } from '../core/parse.js';
import { type Redactor, redactor } from '../core/redact.js';
import { type Judgement, misrouted, type Role, type RoleCore } from '../core/route.js';
import { type ControllerState, emptyEnvironment } from '../core/state.js';
import { aboutDeployment, InvalidRecordError } from '../errors.js';
import type { Ports } from '../ports.js';
import { retryOnConflict } from './conflict-retry.js';
import { type DoneBefore, type Executed, execute, nothingDone } from './execute.js';
import { type Enrich, enrich, loadState } from './load-state.js';
import type { Log } from './logger.js';

export interface ControllerDeps {
  config: Config;
  ports: Ports;
  log: Log;
  /** The clock, as an argument so tests and local mode control time. */
  now: () => Date;
  /** The function this controller runs as: inputs of the other one are refused. Local mode and tests take every input. */
  role?: Role;
  /** Called with each decision before its actions run (the CLI's live display). */
  onDecision?: (input: Input, decision: Decision) => void;
  /** Waits between conflicting attempts; tests pass one that records instead of waiting. */
  sleep?: (ms: number) => Promise<void>;
}

export interface StepRecord {
  input: Input['kind'];
  decision: Decision;
}

export interface Controller {
  /** One raw event end to end: parse → load → decide → log → execute, then the results it asked to hear. */
  handle(raw: unknown): Promise<StepRecord[]>;
  /** The same for an input already parsed. */
  run(input: Input): Promise<StepRecord[]>;
}

/**
 * What one Lambda function runs (`LAUNCH_FUNCTION` in launch-function.ts, `WATCH_FUNCTION` in watch-function.ts):
 * its core (parser and decider) and how it completes its inputs from AWS. Each in a file of its own, so a bundle
 * holds only its function's.
 */
export interface LambdaFunction {
  core: RoleCore;
  enrich: Enrich;
}

/**
 * A controller's dependencies with the parser and decider it runs, how it completes an input from AWS, and the
 * configured redactor (REDACT_PATTERNS), built once per controller.
 */
type Wired = ControllerDeps & { core: Judgement; enrich: Enrich; redact: Redactor };

/** A controller that takes every input (local mode, tests): the full `parseInput` and `decide`. */
export function createController(deps: ControllerDeps): Controller {
  return wire({ ...deps, core: { parse: parseInput, decide }, enrich, redact: redactor(deps.config.REDACT_PATTERNS) });
}

/**
 * A Lambda function's controller: it parses, completes and decides with that function's code only (`LAUNCH_FUNCTION`,
 * `WATCH_FUNCTION`) and refuses the other's inputs. A function of its own rather than a default parameter of `createController`, which
 * would name the full `decide` and `parseInput` and keep every schema and decider in both bundles.
 */
export function createRoleController(deps: Omit<ControllerDeps, 'role'>, fn: LambdaFunction): Controller {
  return wire({ ...deps, role: fn.core.role, core: fn.core, enrich: fn.enrich, redact: redactor(deps.config.REDACT_PATTERNS) });
}

function wire(deps: Wired): Controller {
  const run = async (first: Input): Promise<StepRecord[]> => {
    const steps: StepRecord[] = [];
    const pending: Input[] = [first];
    // What this invocation did (events reported before their commit, hooks answered): a decision taken again after a
    // lost race does not do it twice.
    const doneBefore = nothingDone();
    // Feedback continues from the state this invocation's commits left; a conflict forces a fresh read.
    let state: ControllerState | undefined;
    while (pending.length > 0) {
      const input = pending.shift() as Input;
      const done = await retryOnConflict(
        input.kind,
        async (attempt) => {
          const result = await step(input, attempt === 1 ? state : undefined, deps, doneBefore);
          steps.push({ input: input.kind, decision: result.decision });
          return result;
        },
        deps.log,
        deps.sleep,
      );
      state = done.state;
      pending.push(...done.feedback);
    }
    return steps;
  };
  const options = { requestSource: deps.config.EVENT_SOURCE, registry: deps.config.REGISTRY, redact: deps.redact };
  return { run, handle: (raw) => run(deps.core.parse(raw, options)) };
}

/** One decision: load (unless the state is known), decide, log one line, execute. */
async function step(
  input: Input,
  known: ControllerState | undefined,
  deps: Wired,
  done: DoneBefore,
): Promise<Executed & { decision: Decision }> {
  const { config, ports, log } = deps;
  const refused = deps.role !== undefined ? misrouted(input, deps.role, config.ENVIRONMENT) : undefined;
  if (refused !== undefined)
    return carryOut(input, refused, known ?? { env: emptyEnvironment(config.ENVIRONMENT), deployments: {} }, deps, done);
  // One clock reading per decision: what the load read (an expired lock's task) and what is decided agree.
  const now = deps.now();
  let state = known;
  if (state === undefined) {
    try {
      state = await loadState(loadPlan(input, config), ports, config, log, now);
    } catch (error) {
      // A stored record that does not validate: refused with its key and field, not retried into a crash loop.
      if (!(error instanceof InvalidRecordError)) throw error;
      const detail = { environment: config.ENVIRONMENT, reason: error.message, record: error.key };
      const refusal = reject(error.message, detail, deps.redact);
      return carryOut(input, refusal, { env: emptyEnvironment(config.ENVIRONMENT), deployments: {} }, deps, done);
    }
  }
  const enriched = await deps.enrich(input, state, ports, config, log, deps.redact);
  return carryOut(enriched, deps.core.decide(enriched, state, decideContext(config, now.toISOString(), deps.redact)), state, deps, done);
}

async function carryOut(
  input: Input,
  decision: Decision,
  state: ControllerState,
  deps: Wired,
  done: DoneBefore,
): Promise<Executed & { decision: Decision }> {
  // The reason may echo input (an ignored request's fields): redacted before it is logged or returned.
  const told: Decision = { ...decision, reason: deps.redact(decision.reason) };
  deps.log.info(`decision: ${told.decision}`, {
    deploymentId: told.deploymentId,
    input: input.kind,
    decision: told.decision,
    reason: told.reason,
    actions: told.actions.map((a) => a.type),
  });
  deps.onDecision?.(input, told);
  try {
    return { decision: told, ...(await execute(told.actions, state, deps.ports, deps.log, done)) };
  } catch (error) {
    throw aboutDeployment(error, told.deploymentId);
  }
}
