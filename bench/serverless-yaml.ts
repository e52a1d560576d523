import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './repo-root';

/** serverless.yml (for the benches and the tests that check it), with CloudFormation's short tags read as `{ GetAtt: … }`, `{ Sub: … }` and the like. */
export function readServerlessYaml<T>(): T {
  return parse(readFileSync(join(repoRoot(), 'serverless.yml'), 'utf8'), {
    customTags: [
      { tag: '!GetAtt', resolve: (v: string) => ({ GetAtt: v }) },
      { tag: '!Sub', resolve: (v: string) => ({ Sub: v }) },
      { tag: '!Ref', resolve: (v: string) => ({ Ref: v }) },
      { tag: '!Join', collection: 'seq', resolve: (v: unknown) => ({ Join: v }) },
    ],
  }) as T;
}
