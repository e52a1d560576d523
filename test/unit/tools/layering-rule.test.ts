import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the rule is CommonJS so eslint.config.mjs and this test share one file
const { plugin } = require('../../../tools/eslint/layering.cjs') as { plugin: ESLint.Plugin };

const ROOT = join(__dirname, '..', '..', '..');

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { cordon: plugin }, rules: { 'cordon/layering': ['error', { root: ROOT }] } }],
  });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.map((m) => m.message);
}

describe('layering lint rule', () => {
  it('refuses the domain importing config, Slack or the store', async () => {
    expect(await lint('src/domain/cases/x.ts', "import { loadConfig } from '../../config/load-config';")).toEqual([
      expect.stringContaining('src/domain/cases/x.ts (domain) must not import src/config/load-config (config)'),
    ]);
    expect(await lint('src/domain/x.ts', "import { ActionId } from '../slack/ids';")).toHaveLength(1);
    expect(await lint('src/domain/x.ts', "export { SqliteStore } from '../store/sqlite-store';")).toHaveLength(1);
  });

  it('refuses services reaching into the Slack adapter or the composition root', async () => {
    expect(await lint('src/services/x.ts', "import { CasePublisher } from '../slack/case-publisher';")).toEqual([expect.stringContaining('(services) must not import src/slack/case-publisher (slack)')]);
    expect(await lint('src/services/x.ts', "import type { Cordon } from '../container';")).toHaveLength(1);
  });

  it('keeps the simulators out of the product, but lets `cordon demo` load them on demand', async () => {
    expect(await lint('src/cli/commands/serve.ts', "import { SlackSandbox } from '../../../sandbox/slack';")).toEqual([expect.stringContaining('(app) must not import sandbox/slack (sandbox)')]);
    expect(await lint('src/cli/commands/demo.ts', "export const load = () => import('../../../sandbox/demo/demo-runner');")).toEqual([]);
  });

  it('lets each layer import itself and the layers inside it', async () => {
    expect(await lint('src/domain/cases/x.ts', "import { Band } from '../findings/finding';\nimport { CordonError } from '../../errors';")).toEqual([]);
    expect(await lint('src/slack/x.ts', "import { CaseService } from '../services/case-service';\nimport { parseFinding } from '../domain/findings/parse-finding';")).toEqual([]);
    expect(await lint('test/unit/x.test.ts', "import { SlackSandbox } from '../../sandbox/slack';")).toEqual([]);
  });
});
