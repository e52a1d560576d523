import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type MainDeps } from '../../src/cli/main';

/** A minimal valid config for tests; `extra` is appended YAML (top-level keys not already set). */
export function testConfigYaml(opts: { triageChannel: string; responderGroup?: string; invite?: string[]; extraTriage?: string; extra?: string }): string {
  return `
workspace: { teamId: T0SANDBOX }
accounts:
  - { id: "111111111111", name: production, environment: production }
  - { id: "222222222222", name: sandbox, environment: sandbox }
regions: [us-east-1]
containmentRole: { name: CordonContainment, externalId: test-external-id }
triage:
  ${opts.responderGroup ? `responderGroup: ${opts.responderGroup}` : ''}
  knownCidrs:
    - { cidr: 203.0.113.0/24, name: office }
  suppressions:
    - { id: known-networks, reason: Our own networks, knownCidrsOnly: true }
  cardEditInterval: 1s
  ${opts.extraTriage ?? ''}
channels:
  triage: ${opts.triageChannel}
  prefix: ir
  invite: [${(opts.invite ?? []).join(', ')}]
${opts.extra ?? ''}
`;
}

/** A temp dir holding a config file and an SQLite path. */
export function testWorkspace(yaml: string): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-test-'));
  writeFileSync(join(dir, 'cordon.config.yaml'), yaml);
  return { dir, env: { CORDON_CONFIG: join(dir, 'cordon.config.yaml'), CORDON_STORE: `sqlite:${join(dir, 'cordon.db')}`, LOG_LEVEL: 'silent' } };
}

/** Runs `cordon …` in-process and captures what it prints. */
export async function runCli(argv: string[], env: Record<string, string>, extra: Partial<MainDeps> = {}, stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    env,
    io: { out: (l) => (out += `${l}\n`), err: (l) => (err += `${l}\n`), readStdin: () => Promise.resolve(stdin) },
    ...extra,
  });
  return { code, out, err };
}
