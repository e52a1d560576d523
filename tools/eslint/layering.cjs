'use strict';
// The layering rule: inner layers never import outer ones. Written as a small local rule
// rather than a plugin because it needs nothing but the resolved path of each relative
// import; the table below is the whole policy (docs/architecture.md, "Layers").
const path = require('node:path');

/**
 * Each layer: the files it holds (folders or files under the repository root, matched as
 * prefixes) and the layers it must not import. Checked top to bottom; the first layer
 * whose prefix matches a file is that file's layer.
 */
const LAYERS = [
  { name: 'domain', holds: ['src/domain/', 'src/errors.ts'], mayImport: ['domain'] },
  { name: 'config', holds: ['src/config/'], mayImport: ['domain', 'config'] },
  {
    name: 'adapters',
    holds: ['src/store/', 'src/jobs/', 'src/aws/', 'src/containment/', 'src/reports/', 'src/log.ts'],
    mayImport: ['domain', 'config', 'adapters', 'services'],
  },
  { name: 'services', holds: ['src/services/'], mayImport: ['domain', 'config', 'adapters', 'services'] },
  { name: 'slack', holds: ['src/slack/'], mayImport: ['domain', 'config', 'adapters', 'services', 'slack'] },
  {
    name: 'app',
    holds: ['src/'],
    mayImport: ['domain', 'config', 'adapters', 'services', 'slack', 'app'],
    // `cordon demo` loads the simulators on demand, never at start.
    mayImportLazily: ['sandbox'],
  },
  { name: 'sandbox', holds: ['sandbox/'], mayImport: ['domain', 'config', 'adapters', 'services', 'slack', 'app', 'sandbox'] },
  { name: 'bench', holds: ['bench/'], mayImport: ['domain', 'config', 'adapters', 'services', 'slack', 'app', 'sandbox', 'bench'] },
  { name: 'test', holds: ['test/'], mayImport: ['domain', 'config', 'adapters', 'services', 'slack', 'app', 'sandbox', 'bench', 'test'] },
];

function layerOf(rel) {
  const posix = rel.split(path.sep).join('/');
  return LAYERS.find((l) => l.holds.some((h) => (h.endsWith('/') ? posix.startsWith(h) : posix === h || posix === h.replace(/\.ts$/, ''))));
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'An inner layer (domain → config → adapters → services → slack → app) never imports an outer one; the product never imports the simulators.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      outward: "{{from}} ({{fromLayer}}) must not import {{to}} ({{toLayer}}): {{fromLayer}} may import only {{allowed}}. Declare a port in the inner layer and implement it outside (docs/architecture.md, Layers).",
    },
  },
  create(context) {
    const root = (context.options[0] && context.options[0].root) || context.cwd;
    const file = context.filename;
    const fromRel = path.relative(root, file);
    const from = layerOf(fromRel);
    if (!from) return {};
    function check(node, source, lazy) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const toRel = path.relative(root, path.resolve(path.dirname(file), source));
      const to = layerOf(toRel);
      if (!to || from.mayImport.includes(to.name)) return;
      if (lazy && (from.mayImportLazily || []).includes(to.name)) return;
      context.report({ node, messageId: 'outward', data: { from: fromRel, fromLayer: from.name, to: toRel, toLayer: to.name, allowed: from.mayImport.join(', ') } });
    }
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value, false),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value, false),
      ExportAllDeclaration: (node) => check(node.source, node.source.value, false),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value, true),
      'CallExpression[callee.name="require"]': (node) => node.arguments[0] && node.arguments[0].type === 'Literal' && check(node.arguments[0], node.arguments[0].value, false),
    };
  },
};

module.exports = { LAYERS, plugin: { rules: { layering: rule } } };
