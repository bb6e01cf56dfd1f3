import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { CfnTemplate } from './template.js';

export interface TranslatedTemplate {
  template: CfnTemplate;
  cloudformation: CfnTemplate;
}

/** template.yaml parsed, and translated to plain CloudFormation by aws-sam-translator (sam_translate.py). */
export function translateTemplate(): TranslatedTemplate {
  const templatePath = join(import.meta.dirname, '..', '..', 'template.yaml');
  const run = spawnSync('python3', [join(import.meta.dirname, 'sam_translate.py'), templatePath], {
    encoding: 'utf8',
    env: { ...process.env, AWS_DEFAULT_REGION: 'eu-west-1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(
      `translating template.yaml failed (needs python3 with aws-sam-translator: pip install aws-sam-translator): ${run.error?.message ?? run.stderr}`,
    );
  }
  return JSON.parse(run.stdout) as TranslatedTemplate;
}
