import { type CfnTemplate, type Json, type JsonObject, resolver, resource, sampleParameters } from './template.js';

/** An IAM policy statement as the translated template has it, resolved. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Every statement of a function's role, resolved for `parameters`: its inline policies and the stack's managed
 * policies it attaches. AWS managed policies are passed to `onAwsManaged` (the caller says which are allowed).
 */
export function functionStatements(
  cfn: CfnTemplate,
  functionId: string,
  parameters = sampleParameters,
  onAwsManaged: (arn: string) => void = () => {},
): Statement[] {
  const { resolve } = resolver(cfn, parameters);
  const roleRef = resolve(resource(cfn, functionId).Properties?.Role as Json) as string;
  const roleId = /^<(.+)\.Arn>$/.exec(roleRef)?.[1];
  if (roleId === undefined) throw new Error(`${functionId}: unexpected Role ${roleRef}`);
  const role = resolve(resource(cfn, roleId).Properties as Json) as JsonObject;

  const statements: Statement[] = [];
  for (const policy of (role.Policies ?? []) as unknown as { PolicyDocument: { Statement: Statement[] } }[]) {
    statements.push(...policy.PolicyDocument.Statement);
  }
  for (const managed of (role.ManagedPolicyArns ?? []) as string[]) {
    const stackPolicy = /^<(.+)>$/.exec(managed)?.[1];
    if (stackPolicy === undefined) {
      onAwsManaged(managed);
      continue;
    }
    const doc = resolve<{ Statement: Statement[] }>(resource(cfn, stackPolicy).Properties?.PolicyDocument);
    statements.push(...doc.Statement);
  }
  return statements;
}

/**
 * Actions granted only as part of another call, never sent as requests of their own: passing a role (RunTask,
 * RegisterTaskDefinition, CreateSchedule), tagging on create (RunTask, RegisterTaskDefinition), and the failed
 * invocation destination's SendMessage (Lambda sends it, SAM adds it).
 */
const COMPANION_ACTIONS = new Set(['iam:PassRole', 'ecs:TagResource', 'sqs:SendMessage']);

/** The actions the statements allow that a function sends as SDK requests of its own, sorted. */
export function grantedActions(statements: Statement[]): string[] {
  const actions = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action));
  return [...new Set(actions)].filter((a) => !COMPANION_ACTIONS.has(a)).sort();
}
