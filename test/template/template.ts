import { join } from 'node:path';
import { inject } from 'vitest';
import type { TranslatedTemplate } from './sam-translate.js';

/**
 * template.yaml as the tests see it: parsed, and translated to plain CloudFormation by aws-sam-translator
 * (sam_translate.py), with a small evaluator of the intrinsic functions it uses (Ref, Fn::Sub, Fn::If,
 * Fn::GetAtt, Fn::Join, Fn::Split, Fn::Select, conditions) so assertions read resolved values for given parameters.
 */

export const repoRoot = join(import.meta.dirname, '..', '..');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Resource {
  Type: string;
  Condition?: string;
  Properties?: JsonObject;
  Metadata?: JsonObject;
}
export interface CfnTemplate {
  Parameters: Record<string, { Type: string; Default?: string | number }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json }>;
  Globals?: JsonObject;
}

/** The SAM template as written and as CloudFormation after the SAM transform, translated once per run (translate-global-setup.ts). */
export function loadTemplate(): TranslatedTemplate {
  return inject('samTemplate');
}

/** The account and region of the samples in events/ (and moto's account). */
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

/** Parameter values matching events/config.json. */
export const sampleParameters: Record<string, string> = {
  Environment: 'staging',
  Cluster: 'shop-staging',
  Service: 'shop-api',
  Container: 'app',
  Repository: 'shop-api',
  TagPattern: 'v*',
  MigrationCommand: 'db-migrate',
  AllowedCommands: 'db-migrate,db-rollback,db-seed',
  TimeoutMinutes: '60',
  EventSource: 'ecs-migrate',
  TaskRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-task`,
  ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-execution`,
  TaskLogGroup: '/ecs/shop-api',
};

export interface ResolveContext {
  parameters: Record<string, string>;
  /** Parameters of type CommaDelimitedList: `Ref` gives the list. */
  lists?: Record<string, string[]>;
  pseudo: Record<string, string>;
  conditions: Record<string, Json>;
}

/** What `{ Ref: AWS::NoValue }` resolves to; removed from objects and arrays. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * A resolver for `template` with these parameters (defaults filled in). A `Ref` to a resource becomes
 * `<LogicalId>` and `Fn::GetAtt` becomes `<LogicalId.Attribute>`, so assertions can name them.
 */
export function resolver(
  template: CfnTemplate,
  parameters: Record<string, string> = sampleParameters,
  pseudo: Partial<Record<'AWS::AccountId' | 'AWS::Region' | 'AWS::Partition' | 'AWS::URLSuffix' | 'AWS::StackName', string>> = {},
): { resolve: <T = Json>(value: unknown) => T } {
  const values: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  for (const [name, p] of Object.entries(template.Parameters)) {
    const given = parameters[name] ?? (p.Default === undefined ? undefined : String(p.Default));
    if (given === undefined) throw new Error(`parameter ${name} has no default: give it a value`);
    values[name] = given;
    if (p.Type === 'CommaDelimitedList') lists[name] = given.split(',');
  }
  const ctx: ResolveContext = {
    parameters: values,
    lists,
    pseudo: {
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'ecs-migrate-staging',
      ...pseudo,
    },
    conditions: template.Conditions ?? {},
  };
  return {
    resolve: <T = Json>(value: unknown): T => {
      const out = evaluate(value as Json, ctx);
      if (out === NO_VALUE) throw new Error('the value resolves to AWS::NoValue');
      return out as T;
    },
  };
}

function evaluate(value: Json, ctx: ResolveContext): Json | typeof NO_VALUE {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, ctx)).filter((v): v is Json => v !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = value[key] as Json;
    switch (key) {
      case 'Ref':
        return ref(String(arg), ctx);
      case 'Fn::Sub':
        return sub(arg, ctx);
      case 'Fn::If': {
        const [name, then, otherwise] = arg as [string, Json, Json];
        return evaluate(condition(name, ctx) ? then : otherwise, ctx);
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
        return `<${logicalId}.${attribute}>`;
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, Json[]];
        return (evaluate(parts, ctx) as Json[]).map(String).join(separator);
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, Json];
        return String(evaluate(text, ctx)).split(separator);
      }
      case 'Fn::Select': {
        const [index, items] = arg as [Json, Json];
        const picked = (evaluate(items, ctx) as Json[])[Number(evaluate(index, ctx))];
        if (picked === undefined) throw new Error(`Fn::Select: index ${String(index)} is out of range (CloudFormation fails the stack)`);
        return picked;
      }
      default:
        if (key.startsWith('Fn::')) throw new Error(`the test resolver does not know ${key}`);
    }
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = evaluate(v as Json, ctx);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

function ref(name: string, ctx: ResolveContext): Json | typeof NO_VALUE {
  if (name === 'AWS::NoValue') return NO_VALUE;
  const list = ctx.lists?.[name];
  if (list !== undefined) return list;
  const value = ctx.parameters[name] ?? ctx.pseudo[name];
  return value ?? `<${name}>`;
}

function sub(arg: Json, ctx: ResolveContext): string {
  const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, JsonObject];
  return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
    if (name in vars) return String(evaluate(vars[name] as Json, ctx));
    if (name.includes('.')) return `<${name}>`;
    return String(ref(name, ctx));
  });
}

function condition(name: string, ctx: ResolveContext): boolean {
  const body = ctx.conditions[name];
  if (body === undefined) throw new Error(`unknown condition ${name}`);
  return test(body, ctx);
}

function test(body: Json, ctx: ResolveContext): boolean {
  const [[fn, arg]] = Object.entries(body as JsonObject) as [[string, Json]];
  switch (fn) {
    case 'Fn::Equals': {
      const [a, b] = (arg as Json[]).map((v) => String(evaluate(v, ctx)));
      return a === b;
    }
    case 'Fn::Not':
      return !test((arg as Json[])[0] as Json, ctx);
    case 'Fn::And':
      return (arg as Json[]).every((c) => test(c, ctx));
    case 'Fn::Or':
      return (arg as Json[]).some((c) => test(c, ctx));
    case 'Condition':
      return condition(String(arg), ctx);
    default:
      throw new Error(`the test resolver does not know condition function ${fn}`);
  }
}

/**
 * Whether CloudFormation accepts `value` for parameter `name` of `template`: its AllowedValues, AllowedPattern (as
 * the JavaScript engine reads it; cfn-lint checks the pattern too), Min/MaxValue of a Number and Min/MaxLength.
 */
export function templateAccepts(template: CfnTemplate, name: string, value: string): boolean {
  const p = template.Parameters[name] as JsonObject | undefined;
  if (p === undefined) throw new Error(`template has no parameter ${name}`);
  if (p.AllowedValues !== undefined && !(p.AllowedValues as Json[]).map(String).includes(value)) return false;
  if (p.AllowedPattern !== undefined && !new RegExp(String(p.AllowedPattern)).test(value)) return false;
  if (p.Type === 'Number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) return false;
    if (p.MinValue !== undefined && n < Number(p.MinValue)) return false;
    if (p.MaxValue !== undefined && n > Number(p.MaxValue)) return false;
  }
  if (p.MinLength !== undefined && value.length < Number(p.MinLength)) return false;
  if (p.MaxLength !== undefined && value.length > Number(p.MaxLength)) return false;
  return true;
}

/** The resources of a type, by logical id. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export function resource(template: CfnTemplate, logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (found === undefined) throw new Error(`template has no resource ${logicalId}`);
  return found;
}
