/** `…:task-definition/family:12` → { family, revision }. */
export function parseTaskDefinitionArn(arn: string): { family: string; revision: number } | undefined {
  const m = /task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn) ?? /^([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  return { family: m[1], revision: Number(m[2]) };
}

export type RevisionOrder = 'same' | 'newer' | 'older' | 'unrelated';

/** How the service's revision compares with the one a deployment wants to roll out. */
export function compareRevisions(serviceArn: string, targetArn: string): RevisionOrder {
  if (serviceArn === targetArn) return 'same';
  const s = parseTaskDefinitionArn(serviceArn);
  const t = parseTaskDefinitionArn(targetArn);
  if (s === undefined || t === undefined || s.family !== t.family) return 'unrelated';
  if (s.revision === t.revision) return 'same';
  return s.revision > t.revision ? 'newer' : 'older';
}
