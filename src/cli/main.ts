import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, missingSlackVars, parseEnv, requireSlack, type Config } from '../config/load-config';
import { buildCordon, type CordonOptions } from '../app/cordon';
import { SERVE_CLIENT_OPTIONS } from '../app/intake';
import { runContain, runRevert, actionJson } from './commands/contain';
import { userInfo } from 'node:os';
import { GuardDutyPoller } from '../aws/guardduty-poller';
import { CordonError, ErrorCode, errorMessage, isCordonError } from '../errors';
import { describeVerification, verifyAuditChain } from '../store/audit-chain';
import { createLogger, type Logger } from '../log';
import { startSlack } from '../slack/inbound/bolt-app';
import { SlackHealth } from '../slack/outbound/slack-health';
import { clockTick } from '../app/clock-tick';
import { Ticker } from '../services/ticker';
import { runIngest } from './commands/ingest';
import { runReport } from './commands/report';
import { demoCommand } from './commands/demo';
import { runDrill } from './commands/drill';
import { Exit, processIo, type CliIo } from './output';

const USAGE = `Usage: cordon <command> [options]

Commands:
  serve                 run Cordon: Slack (Socket Mode or HTTP), GuardDuty poller, ticker
  ingest <file|->       replay EventBridge events, GetFindings output or raw findings through triage
  contain <arn|key-id>  break-glass containment from a terminal [--dry-run] [--reason TEXT] [--case ID]
  revert <action-id>    restore what an action changed [--restore-open]
  audit verify          walk the audit trail's hash chains; names the first record that does not fit
  report <case-id>      the case's Markdown report (stdout) [--out DIR writes it and the PNG chart] [--upload]
  demo                  game day on the sandbox Slack and simulated AWS, no credentials needed
                        [--serve [--port N]] keep it up with a read-only web view; [--out DIR] [--break STAGE]
  drill                 the demo's attack, titled [DRILL], into the configured Slack; containment dry-run only
  check                 validate the environment and cordon.config.yaml (and Slack, when a token is set)
  help                  this text

Options:
  --json                print one JSON document instead of lines for people

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET or SLACK_APP_TOKEN, SLACK_API_URL,
CORDON_STORE (sqlite:./cordon.db), CORDON_CONFIG (./cordon.config.yaml), PORT, AWS_REGION.`;

/** Runtime dependencies main() takes, so tests can run it in-process. */
export interface MainDeps {
  env: Record<string, string | undefined>;
  io: CliIo;
  /** Resolves when `serve` should stop (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<void>;
  /** Receives the running server (tests read its address). */
  onServing?: (info: { address?: string }) => void;
  /** Wiring overrides (tests: the simulated AWS, a fake clock). */
  wire?: CordonOptions;
}

function printConfigError(io: CliIo, err: ConfigError): void {
  io.err(`cordon: ${err.message}:`);
  for (const p of err.problems) io.err(`  - ${p}`);
}

function shutdownSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** How long `serve` waits for work in flight once asked to stop; the process is gone within 5 s. */
export const STOP_GRACE_MS = 3500;
/** How often `serve` asks Slack whether it is there (for `/healthz` and the log). */
const SLACK_PROBE_EVERY_MS = 15_000;

/** Resolves true when `work` finished within `ms`, false when the time ran out first. */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function serve(config: Config, log: Logger, deps: MainDeps): Promise<number> {
  const slack = requireSlack(config, { signingSecret: true });
  // Listen for the stop signal before anything starts, so an early SIGTERM still shuts down cleanly.
  const stop = deps.stopSignal ?? shutdownSignal();
  // A promise some library forgot to await must not end a responder's tool: report it, carry on.
  const onRejection = (err: unknown): void => log.error({ err }, 'unhandled promise rejection; Cordon carries on');
  process.on('unhandledRejection', onRejection);
  try {
    // One question to Slack, without retries, before anything else: a refused token is a
    // configuration error (exit 2); an unreachable Slack is one line, and Cordon runs on.
    const health = new SlackHealth(slack.botToken, config.env.SLACK_API_URL, log);
    const probe = await health.probe();
    if (probe.status === 'refused') throw health.tokenError(probe);
    if (probe.status === 'unreachable') log.error({ slack: health.apiUrl, error: probe.error }, health.problemLine(probe));
    else if (probe.teamId && probe.teamId !== config.workspace.teamId) throw workspaceMismatch(probe.teamId, config);

    // The long-running process runs the worker: it checks findings' IAM principals too.
    const cordon = buildCordon(config, log, { principalChecks: true, webClientOptions: SERVE_CLIENT_OPTIONS, ...deps.wire });
    const front = await startSlack(config, cordon.services(), log, { health, probe });
    const ticker = new Ticker(() => clockTick(cordon, new Date()), 3000, log, 'clock');
    ticker.start();
    const slackProbe = new Ticker(async () => void (await health.probe()), SLACK_PROBE_EVERY_MS, log, 'slack-health');
    slackProbe.start();
    // The GuardDuty client is loaded only when the poller is on: a `cordon serve` fed by
    // EventBridge (or nothing) keeps it out of memory.
    const GuardDutyClient = config.poller.enabled ? (await import('@aws-sdk/client-guardduty')).GuardDutyClient : undefined;
    const pollers = GuardDutyClient
      ? config.regions.map(
          (region) =>
            new GuardDutyPoller(new GuardDutyClient({ region, retryMode: 'adaptive', maxAttempts: 8 }), region, cordon.pipeline, cordon.store, log, {
              lookbackMs: config.poller.lookback,
            }),
        )
      : [];
    const pollTickers = pollers.map((p) => new Ticker(async () => void (await p.pollOnce()), config.poller.interval, log, `poller:${p.region}`));
    pollTickers.forEach((t) => t.start());
    deps.onServing?.({ ...(front.address ? { address: front.address } : {}) });
    await stop;
    log.info('stopping');
    // Whatever Slack or AWS are doing (a WebClient retrying for half an hour, an SDK call
    // waiting on a socket), stopping does not wait longer than the grace: every job is a
    // row in the store with a lease, so what is cut off here runs again on the next start.
    const drained = await within(
      STOP_GRACE_MS,
      (async () => {
        await Promise.all([ticker.stop(), slackProbe.stop(), ...pollTickers.map((t) => t.stop())]);
        await cordon.worker().inProcess?.idle();
        await front.stop();
      })(),
    );
    if (drained) {
      await cordon.close();
      log.info('stopped');
    } else {
      // The store stays open: a job still running keeps writing its steps until the process
      // ends, and closing the database under it would turn a cut-off into a failure.
      log.warn({ graceMs: STOP_GRACE_MS }, 'stopped without waiting for work in flight; it is in the store and resumes on the next start');
    }
    return Exit.OK;
  } finally {
    process.off('unhandledRejection', onRejection);
  }
}

function workspaceMismatch(teamId: string, config: Config): ConfigError {
  return new ConfigError('Slack workspace mismatch', [`workspace.teamId: the bot token belongs to ${teamId}, the config says ${config.workspace.teamId}`]);
}

/** The `cordon` command. Returns the exit code; never throws. */
export async function main(argv: string[], deps: MainDeps = { env: process.env, io: processIo }): Promise<number> {
  const { io, env } = deps;
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        'dry-run': { type: 'boolean', default: false },
        'restore-open': { type: 'boolean', default: false },
        reason: { type: 'string' },
        case: { type: 'string' },
        out: { type: 'string' },
        upload: { type: 'boolean', default: false },
        serve: { type: 'boolean', default: false },
        port: { type: 'string' },
        break: { type: 'string' },
      },
    });
  } catch (err) {
    io.err(`cordon: ${errorMessage(err)}\n\n${USAGE}`);
    return Exit.USAGE;
  }
  const [command, ...rest] = args.positionals;
  const json = args.values.json === true;
  if (!command || command === 'help' || args.values.help) {
    io.out(USAGE);
    return command && command !== 'help' && !args.values.help ? Exit.USAGE : Exit.OK;
  }

  if (command === 'demo') {
    // The demo brings its own config, Slack and AWS: a newcomer has none of them.
    if (rest.length) {
      io.err('cordon: demo takes no arguments\n\nusage: cordon demo [--serve [--port N]] [--out DIR] [--break STAGE] [--json]');
      return Exit.USAGE;
    }
    return demoCommand(
      {
        serve: args.values.serve === true,
        json,
        stopSignal: () => deps.stopSignal ?? shutdownSignal(),
        ...(typeof args.values.port === 'string' ? { port: args.values.port } : {}),
        ...(typeof args.values.out === 'string' ? { out: args.values.out } : {}),
        ...(typeof args.values.break === 'string' ? { break: args.values.break } : {}),
        ...(deps.onServing ? { onServing: (url: string) => deps.onServing?.({ address: url }) } : {}),
      },
      io,
    );
  }

  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      // serve: name the missing Slack variables too, so one run shows everything to fix.
      let problems = err.problems;
      if (command === 'serve') {
        try {
          problems = [...missingSlackVars(parseEnv(env), { signingSecret: true }), ...problems];
        } catch {
          // the environment itself is invalid: its problems are already listed
        }
      }
      const all = new ConfigError(err.message, problems);
      if (json) io.out(JSON.stringify({ ok: false, error: all.code, problems }));
      else printConfigError(io, all);
      return Exit.USAGE;
    }
    throw err;
  }
  const log = createLogger(config.env.LOG_LEVEL, command === 'serve' ? undefined : process.stderr, [
    config.env.SLACK_BOT_TOKEN,
    config.env.SLACK_SIGNING_SECRET,
    config.env.SLACK_APP_TOKEN,
    config.containmentRole?.externalId,
  ]);

  try {
    switch (command) {
      case 'check': {
        if (rest.length) throw new ConfigError('check takes no arguments', ['usage: cordon check [--json]']);
        const cordon = buildCordon(config, log, deps.wire);
        await cordon.close();
        let slackTeam: string | undefined;
        if (config.env.SLACK_BOT_TOKEN) {
          const health = new SlackHealth(config.env.SLACK_BOT_TOKEN, config.env.SLACK_API_URL, log);
          const probe = await health.probe();
          if (probe.status === 'refused') throw health.tokenError(probe);
          if (probe.status === 'unreachable') throw new CordonError(ErrorCode.SLACK_FAILED, health.problem(probe));
          slackTeam = probe.teamId;
          if (slackTeam && slackTeam !== config.workspace.teamId) throw workspaceMismatch(slackTeam, config);
        }
        const report = { ok: true, config: config.configPath, accounts: config.accounts.length, regions: config.regions, store: config.env.CORDON_STORE, slack: slackTeam ?? 'no SLACK_BOT_TOKEN: not checked' };
        if (json) io.out(JSON.stringify(report));
        else {
          io.out(`config ${config.configPath}: valid (${config.accounts.length} account(s), regions ${config.regions.join(', ')})`);
          io.out(`store ${config.env.CORDON_STORE}: reachable`);
          io.out(`slack: ${slackTeam ? `token valid for ${slackTeam}` : 'SLACK_BOT_TOKEN not set; not checked'}`);
        }
        return Exit.OK;
      }
      case 'ingest': {
        if (rest.length !== 1) throw new ConfigError('ingest needs one input', ['usage: cordon ingest <file|-> [--json]']);
        const cordon = buildCordon(config, log, deps.wire);
        try {
          const { summary, slack } = await runIngest(cordon, rest[0] as string, io);
          const leftOver = slack ? slack.left.cases + slack.left.cards + slack.left.events : 0;
          const failed = summary.rejected > 0 || (slack?.failures ?? 0) > 0 || (leftOver > 0 && !slack?.busy);
          if (json) io.out(JSON.stringify({ ok: !failed, ...summary, slack: slack ?? null }));
          else {
            io.out(
              `ingested ${summary.received}: ${summary.newFindings} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ` +
                `${summary.cased} to cases, ${summary.digest} to the digest, ${summary.suppressed} suppressed, ${summary.rejected} rejected`,
            );
            if (summary.casesOpened.length) io.out(`cases opened: ${summary.casesOpened.join(', ')}`);
            if (slack?.busy) io.out('slack: another Cordon process (cordon serve, the ticker) is posting to Slack right now; it posts these too');
            else if (slack) io.out(`slack: ${slack.channelsCreated} channel(s), ${slack.cardsPosted} card(s) posted, ${slack.cardsEdited} edited, ${slack.failures} failure(s)`);
            if (slack && leftOver > 0) {
              io.err(
                `cordon: not yet in Slack: ${slack.left.cases} case(s), ${slack.left.cards} finding card(s), ${slack.left.events} timeline event(s); ` +
                  'they are stored, and cordon serve or the ticker posts them',
              );
            }
            else io.out('slack: SLACK_BOT_TOKEN not set; stored only (cordon serve posts it later)');
            if (summary.rejected) io.err(`cordon: ${summary.rejected} input(s) rejected; they are stored with the reason`);
          }
          return failed ? Exit.FAILED : Exit.OK;
        } finally {
          await cordon.close();
        }
      }
      case 'contain':
      case 'revert': {
        if (rest.length !== 1) {
          throw new ConfigError(`${command} needs one argument`, [
            command === 'contain' ? 'usage: cordon contain <arn|access-key-id> [--dry-run] [--reason TEXT] [--case CASE-ID] [--json]' : 'usage: cordon revert <action-id> [--restore-open] [--json]',
          ]);
        }
        const cordon = buildCordon(config, log, deps.wire);
        try {
          const user = env.USER ?? userInfo().username;
          const action =
            command === 'contain'
              ? await runContain(
                  cordon,
                  {
                    target: rest[0] as string,
                    dryRun: args.values['dry-run'] === true,
                    user,
                    ...(typeof args.values.reason === 'string' ? { reason: args.values.reason } : {}),
                    ...(typeof args.values.case === 'string' ? { caseId: args.values.case } : {}),
                  },
                  io,
                  json,
                )
              : await runRevert(cordon, { actionId: rest[0] as string, user, restoreOpen: args.values['restore-open'] === true }, io, json);
          const ok = ['applied', 'reverted', 'dry_run'].includes(action.status);
          if (json) io.out(JSON.stringify({ ok, action: actionJson(action) }));
          return ok ? Exit.OK : Exit.FAILED;
        } finally {
          await cordon.close();
        }
      }
      case 'report': {
        if (rest.length !== 1) throw new ConfigError('report needs one case id', ['usage: cordon report <case-id> [--out DIR] [--upload] [--json]']);
        const cordon = buildCordon(config, log, deps.wire);
        try {
          const result = await runReport(
            cordon,
            { caseId: rest[0] as string, upload: args.values.upload === true, user: env.USER ?? userInfo().username, ...(typeof args.values.out === 'string' ? { out: args.values.out } : {}) },
            io,
            json,
          );
          if (json) io.out(JSON.stringify(result));
          return Exit.OK;
        } finally {
          await cordon.close();
        }
      }
      case 'audit': {
        if (rest.length !== 1 || rest[0] !== 'verify') throw new ConfigError('audit needs a subcommand', ['usage: cordon audit verify [--json]']);
        const cordon = buildCordon(config, log, deps.wire);
        try {
          const result = await verifyAuditChain(cordon.store);
          if (json) io.out(JSON.stringify(result));
          else if (result.ok) io.out(describeVerification(result));
          else io.err(`cordon: ${describeVerification(result)} (${ErrorCode.AUDIT_BROKEN})`);
          return result.ok ? Exit.OK : Exit.FAILED;
        } finally {
          await cordon.close();
        }
      }
      case 'drill': {
        if (rest.length) throw new ConfigError('drill takes no arguments', ['usage: cordon drill [--json]']);
        const cordon = buildCordon(config, log, deps.wire);
        try {
          const result = await runDrill(cordon, io, json);
          if (json) io.out(JSON.stringify(result));
          return result.ok ? Exit.OK : Exit.FAILED;
        } finally {
          await cordon.close();
        }
      }
      case 'serve':
        if (rest.length) throw new ConfigError('serve takes no arguments', ['usage: cordon serve']);
        return await serve(config, log, deps);
      default:
        io.err(`cordon: unknown command "${command}"\n\n${USAGE}`);
        return Exit.USAGE;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      if (json) io.out(JSON.stringify({ ok: false, error: err.code, problems: err.problems }));
      else printConfigError(io, err);
      return Exit.USAGE;
    }
    if (isCordonError(err)) {
      if (json) io.out(JSON.stringify({ ok: false, error: err.code, message: err.message }));
      else io.err(`cordon: ${err.message} (${err.code})`);
      return Exit.FAILED;
    }
    log.error({ err }, 'command failed');
    if (json) io.out(JSON.stringify({ ok: false, error: 'INTERNAL', message: errorMessage(err) }));
    else io.err(`cordon: ${command} failed: ${errorMessage(err)}`);
    return Exit.FAILED;
  }
}
