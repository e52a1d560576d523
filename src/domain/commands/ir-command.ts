import { isCaseId } from '../cases/case-id';
import { DURATION_FORM, parseDuration } from '../duration';

/** A parsed `/ir` invocation, or why it could not be parsed (with the right form). */
export type IrCommand =
  | { sub: 'help' }
  | { sub: 'whoami' }
  | { sub: 'status' }
  | { sub: 'contain'; target: string; dryRun: boolean; reason?: string }
  /** `keepOff`: access keys to leave inactive (issue 15, point 11). */
  | { sub: 'revert'; actionId: string; keepOff: string[]; restoreOpen?: true }
  | { sub: 'note'; text: string }
  | { sub: 'escalate'; reason?: string }
  | { sub: 'ack' }
  | { sub: 'timeline'; page: number }
  | { sub: 'report' }
  | { sub: 'stats' }
  | { sub: 'resolve'; summary?: string }
  | { sub: 'close' }
  | { sub: 'suppress'; type: string; forMs?: number; reason?: string }
  | { sub: 'unsuppress'; ruleId: string }
  | { sub: 'merge'; caseId: string }
  | { sub: 'split'; findingId: string };

export type IrParse = { ok: true; command: IrCommand } | { ok: false; error: string };

/** Usage line per subcommand, shown with every usage error. */
export const IR_USAGE: Record<IrCommand['sub'], string> = {
  help: '/ir help',
  whoami: '/ir whoami',
  status: '/ir status',
  contain: '/ir contain <arn|access-key-id> [--dry-run] [reason]',
  revert: '/ir revert <action-id> [--keep-off <access-key-id>…] [--restore-open]',
  note: '/ir note <text>',
  escalate: '/ir escalate [reason]',
  ack: '/ir ack',
  timeline: '/ir timeline [page]',
  report: '/ir report',
  stats: '/ir stats',
  resolve: '/ir resolve [summary]',
  close: '/ir close',
  suppress: '/ir suppress <finding-type> [--for 7d] [reason]',
  unsuppress: '/ir unsuppress <rule-id>',
  merge: '/ir merge <case-id>',
  split: '/ir split <finding-id>',
};

const TYPE_GLOB = /^(\*|[A-Za-z*]+:\*|[A-Za-z*]+:[A-Za-z0-9*]+\/[\w.!&*-]+)$/;

export const ACTION_ID_PATTERN = /^A-\d{14}-[0-9a-z]{4}$/;
const MAX_NOTE = 3000;
const MAX_REASON = 500;

function fail(error: string, sub?: IrCommand['sub']): IrParse {
  return { ok: false, error: sub ? `${error}. Usage: \`${IR_USAGE[sub]}\`` : error };
}

/** Parses the text after `/ir`. Pure: the listener validates, this decides the shape. */
export function parseIrText(raw: string): IrParse {
  // Invisible characters are refused, not stripped: stripping one inside an ARN would
  // split it into a different target and a reason, and direction overrides disguise text.
  // eslint-disable-next-line no-control-regex
  const hidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/.exec(raw);
  if (hidden) return fail(`the command contains an invisible character (U+${(hidden[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}); type it again without it`);
  const text = raw.trim();
  if (!text) return { ok: true, command: { sub: 'help' } };
  const [head = '', ...rest] = text.split(/\s+/);
  const sub = head.toLowerCase();
  const args = rest;
  switch (sub) {
    case 'help':
      return { ok: true, command: { sub: 'help' } };
    case 'whoami':
    case 'status':
    case 'ack':
    case 'close':
    case 'report':
    case 'stats':
      if (args.length) return fail(`\`/ir ${sub}\` takes no arguments`, sub);
      return { ok: true, command: { sub } };
    case 'escalate':
    case 'resolve': {
      const rest = text.slice(head.length).trim().slice(0, MAX_REASON);
      if (sub === 'escalate') return { ok: true, command: { sub, ...(rest ? { reason: rest } : {}) } };
      return { ok: true, command: { sub, ...(rest ? { summary: rest } : {}) } };
    }
    case 'suppress': {
      const words = [...args];
      const type = words.shift();
      if (!type) return fail('say which finding type to suppress', 'suppress');
      if (!TYPE_GLOB.test(type)) return fail(`\`${type.slice(0, 80)}\` is not a finding type (ThreatPurpose:ResourceType/ThreatFamily, * allowed)`, 'suppress');
      let forMs: number | undefined;
      if (words[0] === '--for') {
        words.shift();
        const d = words.shift();
        forMs = d ? parseDuration(d) : undefined;
        if (forMs === undefined) return fail(`--for needs ${DURATION_FORM}`, 'suppress');
      }
      const reason = words.join(' ').slice(0, MAX_REASON);
      return { ok: true, command: { sub: 'suppress', type, ...(forMs ? { forMs } : {}), ...(reason ? { reason } : {}) } };
    }
    case 'unsuppress': {
      if (args.length !== 1 || !args[0] || !/^s-[0-9a-f]{6}$/.test(args[0])) return fail('give one rule id (s-1a2b3c)', 'unsuppress');
      return { ok: true, command: { sub: 'unsuppress', ruleId: args[0] } };
    }
    case 'timeline': {
      if (args.length > 1 || (args[0] !== undefined && !/^[1-9]\d{0,3}$/.test(args[0]))) return fail('the page is a number from 1', 'timeline');
      return { ok: true, command: { sub: 'timeline', page: args[0] ? Number(args[0]) : 1 } };
    }
    case 'contain': {
      const dryRun = args.includes('--dry-run');
      const unknownFlag = args.find((a) => a.startsWith('--') && a !== '--dry-run');
      if (unknownFlag) return fail(`unknown option \`${unknownFlag.slice(0, 30)}\``, 'contain');
      const words = args.filter((a) => a !== '--dry-run');
      const target = words[0];
      if (!target) return fail('say what to contain', 'contain');
      const reason = words.slice(1).join(' ').slice(0, MAX_REASON);
      return { ok: true, command: { sub: 'contain', target, dryRun, ...(reason ? { reason } : {}) } };
    }
    case 'revert': {
      const [id, ...rest] = args;
      if (!id) return fail('give exactly one action id', 'revert');
      if (!ACTION_ID_PATTERN.test(id)) return fail(`\`${id.slice(0, 40)}\` is not an action id (A-<yyyymmddhhmmss>-<4 chars>)`, 'revert');
      // `--restore-open` anywhere after the id; `--keep-off` takes the words that follow it.
      const restoreOpen = rest.includes('--restore-open');
      const [flag, ...keys] = rest.filter((a) => a !== '--restore-open');
      const opts = restoreOpen ? { restoreOpen: true as const } : {};
      if (flag === undefined) return { ok: true, command: { sub: 'revert', actionId: id, keepOff: [], ...opts } };
      if (flag !== '--keep-off') return fail(`unknown option \`${flag.slice(0, 30)}\`; only --keep-off <access-key-id>… and --restore-open follow the action id`, 'revert');
      if (!keys.length) return fail('--keep-off needs at least one access key id', 'revert');
      const bad = keys.find((k) => !/^AKIA[A-Z2-7]{16}$/.test(k));
      if (bad) return fail(`\`${bad.slice(0, 30)}\` is not a long-term access key id (AKIA followed by 16 characters A-Z or 2-7)`, 'revert');
      return { ok: true, command: { sub: 'revert', actionId: id, keepOff: [...new Set(keys)], ...opts } };
    }
    case 'merge': {
      if (args.length !== 1 || !args[0]) return fail('give the id of the case to fold into this one', 'merge');
      const id = args[0].toUpperCase();
      if (!isCaseId(id)) return fail(`\`${args[0].slice(0, 40)}\` is not a case id (IR-<yyyymmdd>-<id>)`, 'merge');
      return { ok: true, command: { sub: 'merge', caseId: id } };
    }
    case 'split': {
      if (args.length !== 1 || !args[0]) return fail('give the id of the finding to move into a new case', 'split');
      if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,299}$/.test(args[0])) return fail(`\`${args[0].slice(0, 40)}\` is not a finding id`, 'split');
      return { ok: true, command: { sub: 'split', findingId: args[0] } };
    }
    case 'note': {
      const note = text.slice(head.length).trim();
      if (!note) return fail('the note is empty', 'note');
      if (note.length > MAX_NOTE) return fail(`the note is ${note.length} characters; at most ${MAX_NOTE}`, 'note');
      return { ok: true, command: { sub: 'note', text: note } };
    }
    default:
      return fail(`\`${head.slice(0, 30)}\` is not an /ir command; \`/ir help\` lists them`);
  }
}
