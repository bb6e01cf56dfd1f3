import type { TestProject } from 'vitest/node';
import { type TranslatedTemplate, translateTemplate } from './sam-translate.js';

/** vitest globalSetup of the "aws" project: the SAM transform (about a second of Python) runs once per run, not per file. */
export default function setup(project: TestProject): void {
  project.provide('samTemplate', translateTemplate());
}

declare module 'vitest' {
  export interface ProvidedContext {
    samTemplate: TranslatedTemplate;
  }
}
