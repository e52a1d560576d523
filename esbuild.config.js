// The Lambda bundle options, in one place: serverless-esbuild reads them (custom.esbuild.config
// in serverless.yml) and `npm run bench:coldstart` bundles with the very same.
'use strict';

/**
 * Modules Bolt requires at load time for receivers no function constructs: Socket Mode
 * (only `cordon serve` uses it), Express and the raw-body reader of the HTTP receivers.
 * The `slack` function uses AwsLambdaReceiver. Left in, they are about 1 MB (undici,
 * iconv-lite) that every cold start parses for nothing.
 */
const LEFT_OUT = ['@slack/socket-mode', 'express', 'raw-body'];

/** An esbuild plugin: each left-out module becomes one that throws, naming itself, when used. */
const leaveOut = {
  name: 'cordon-leave-out',
  setup(build) {
    const filter = new RegExp(`^(${LEFT_OUT.map((m) => m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'cordon-left-out' }));
    build.onLoad({ filter: /.*/, namespace: 'cordon-left-out' }, (args) => ({
      loader: 'js',
      contents: `
const name = ${JSON.stringify(args.path)};
const fail = () => { throw new Error(name + ' is left out of the Lambda bundles (esbuild.config.js); only cordon serve uses it'); };
// Any export, called or constructed, throws; reading one (as require and class setup do) does not.
const absent = new Proxy(fail, { apply: fail, construct: fail, get: (t, k) => (k === '__esModule' || typeof k === 'symbol' ? undefined : absent) });
module.exports = absent;
`,
    }));
  },
};

/**
 * Each function's chunks in a folder named after it (`chunks-worker/`): serverless-esbuild
 * builds every function into one folder and packages all of it but the other entry files,
 * so serverless.yml gives each function its own chunk folder only (package.patterns). The
 * function is the entry file's name (src/handlers/<function>.ts).
 */
const chunksPerFunction = {
  name: 'cordon-chunks-per-function',
  setup(build) {
    const entries = build.initialOptions.entryPoints;
    const first = Array.isArray(entries) ? entries[0] : undefined;
    const entry = typeof first === 'string' ? first : first && first.in;
    if (!entry) return;
    const fn = entry.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
    // Options may be changed in setup, before the build starts (https://esbuild.github.io/plugins/#build-options).
    build.initialOptions.chunkNames = `chunks-${fn}/[name]-[hash]`;
  },
};

/**
 * ESM with code splitting: every dynamic `import()` in the source (each playbook, each SDK
 * client but DynamoDB's and SSM's, the PNG encoder) becomes a chunk that a cold start does
 * not parse until a job loads it. One CommonJS bundle cannot do this: a lazy `require`
 * delays evaluating a module, but V8 still parses all of the file (about 250 ms of the
 * worker's import for a 2.7 MB bundle). Lambda runs `.mjs` handlers as ES modules on
 * nodejs22.x. The SDK stays bundled, not taken from the runtime: AWS recommends bundling
 * the SDK version one tested with, and the runtime's would be a different, unpinned one.
 * @returns {import('esbuild').BuildOptions & { exclude: string[], outputFileExtension: string }}
 */
module.exports = () => ({
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'node22',
  platform: 'node',
  format: 'esm',
  splitting: true,
  // serverless-esbuild's option: it sets esbuild's outExtension from it (an ES module must be .mjs on Lambda).
  outputFileExtension: '.mjs',
  // The bundled CommonJS modules (Bolt, pino, the SDK's CJS-only parts) call require() for
  // Node's built-ins and the external better-sqlite3; an ES module has no require of its own.
  banner: { js: "import { createRequire as cordonCreateRequire } from 'node:module'; const require = cordonCreateRequire(import.meta.url);" },
  // ESM builds first: esbuild can then drop what is never imported (most of zod and of each
  // AWS SDK client's commands); the CommonJS builds cannot be shaken.
  mainFields: ['module', 'main'],
  // The embedded SQLite store is not used on Lambda (DynamoDB is): keep the native module out.
  exclude: ['better-sqlite3'],
  external: ['better-sqlite3'],
  plugins: [leaveOut, chunksPerFunction],
});
module.exports.LEFT_OUT = LEFT_OUT;
