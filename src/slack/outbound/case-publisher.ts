import type { WebClient } from '@slack/web-api';
import type { Action } from '../../domain/actions/action';
import type { Case, PublishClaim, StoredFinding, TimelineEvent } from '../../domain/cases/case';
import { caseChannelName } from '../../domain/cases/channel-name';
import { BAND_LABEL } from '../../domain/triage/bands';
import { safeText } from '../../domain/text/mrkdwn';
import { CordonError, ErrorCode, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import { leaseOwner, withLease, type LeaseSpec } from '../../store/lease';
import type { PlanPublisher } from '../../services/containment-jobs';
import type { PlacedFinding } from '../../services/finding-pipeline';
import { updateWithRetry } from '../../store/compare-and-set';
import type { Store } from '../../store/store';
import { renderActionMessage } from '../blocks/action-message';
import { renderCaseCard, renderIndexLine } from '../blocks/case-card';
import { DIGEST_MAX_FINDINGS, renderDigest, type DigestMessage } from '../blocks/digest-message';
import { findingCardKey, renderFindingGroupCard } from '../blocks/finding-card';
import { renderOwnerInvite } from '../blocks/owner-invite';
import { renderTimelineEvent } from '../blocks/timeline-message';
import { botUserId } from './bot-identity';
import { archiveChannel, createOrAdoptChannel } from './channels';
import { slackErrorCode } from '../slack-errors';

/** What the publisher needs from the config. */
export interface PublisherOptions {
  triageChannel: string;
  prefix: string;
  privateChannels: boolean;
  invite: string[];
  inviteGroups: string[];
  inviteResourceOwners: boolean;
  /** Owner-tag e-mail domains invited without asking (full members only); empty: none are. */
  resourceOwnerDomains?: string[];
  /** How long user-group members are trusted before usergroups.users.list is asked again (`access.groupCacheTtl`). */
  groupCacheTtlMs?: number;
  cardEditIntervalMs: number;
  now?: () => Date;
  /** How long to wait for another process's flush to end before leaving the work to it (default 10 s). */
  leaseWaitMs?: number;
}

/** What one flush did, and when the next deferred edit falls due. */
export interface FlushResult {
  channelsCreated: number;
  cardsPosted: number;
  cardsEdited: number;
  eventsPosted: number;
  failures: number;
  /** Edits held back by the per-card debounce; `nextDueAt` says when the first may run. */
  deferred: number;
  nextDueAt?: number;
  /** Another process was flushing the whole time: nothing was done here; it, or the next tick, posts. */
  busy?: boolean;
  /**
   * Findings joined a case while this publisher held its claim (other publishers left
   * them alone): a flush now posts them rather than the next tick.
   */
  joinedWhileClaimed?: boolean;
}

/**
 * One publisher at a time across processes (the ticker and worker Lambdas, `serve`
 * beside `cordon ingest`): two reading the same unposted rows would both post them,
 * and chat.postMessage has no idempotency key. The holder renews the lease while it
 * works; a dead holder's lease runs out after LEASE_MS.
 */
const LEASE = 'slack-publisher';
const LEASE_MS = 15_000;
const LEASE_POLL_MS = 100;
/**
 * How long a case claimed by the publisher that opened it is left alone by the others:
 * longer than one findings invocation's posting, short enough that the ticker posts the
 * case soon after a holder died.
 */
const CLAIM_MS = 60_000;

/** Errors by which Slack refuses a message for what it holds: posting it again cannot succeed. */
const REFUSED_CONTENT = new Set(['msg_blocks_too_long', 'invalid_blocks', 'msg_too_long', 'invalid_blocks_format', 'no_text']);

/** conversations.invite takes 1 to 1,000 users a call (https://docs.slack.dev/reference/methods/conversations.invite). */
export const INVITE_BATCH = 1000;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Slack's per-user invite errors (`errors: [{user, error}]`) as notes naming each person. */
function inviteErrors(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e: unknown) => {
    const { user, error } = (e ?? {}) as { user?: unknown; error?: unknown };
    if (typeof user !== 'string' || !/^[UW][A-Z0-9]+$/.test(user) || error === 'already_in_channel') return [];
    return [`Slack user ${user} could not be invited (${typeof error === 'string' ? safeText(error, 60) : 'error'})`];
  });
}

/** A case channel's topic: id, band and title. */
function caseTopic(c: Case): string {
  return `${c.id} · ${BAND_LABEL[c.band]} · ${safeText(c.title, 200)}`.slice(0, 250);
}

const EMPTY_FLUSH: FlushResult = { channelsCreated: 0, cardsPosted: 0, cardsEdited: 0, eventsPosted: 0, failures: 0, deferred: 0 };

/** Case channels published side by side: Slack's per-channel post limit holds one channel back, not all. */
const CASES_AT_ONCE = 8;

/**
 * Runs `fn` on each item, items of one case in order, up to {@link CASES_AT_ONCE} cases at a
 * time: chat.postMessage is limited per channel (about one a second), so waiting out one
 * busy case channel need not hold every other case's cards back.
 */
async function eachCase<T>(items: T[], caseOf: (item: T) => string, fn: (item: T) => Promise<void>): Promise<void> {
  const byCase = new Map<string, T[]>();
  for (const item of items) byCase.set(caseOf(item), [...(byCase.get(caseOf(item)) ?? []), item]);
  const queues = [...byCase.values()];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CASES_AT_ONCE, queues.length) }, async () => {
      for (let q = queues[next++]; q; q = queues[next++]) for (const item of q) await fn(item);
    }),
  );
}

/**
 * Promise.all that lets every promise settle before it throws the first failure: nothing
 * is left running unobserved (a card still posting when its case's save failed).
 */
async function allSettledOrThrow<T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** `name_taken` retries before giving up on a channel name. */
const NAME_ATTEMPTS = 20;
const BATCH = 200;

/**
 * Makes Slack match the store: channels, invites, pinned case cards, finding cards
 * (edited, never re-posted), timeline posts and triage index lines. Idempotent and
 * resumable: each Slack id is stored the moment Slack returns it, so a failure or a
 * crash retries only what is left (the ticker calls flush again).
 */
export class CasePublisher implements PlanPublisher {
  private readonly now: () => Date;
  private readonly lease: LeaseSpec;
  private readonly groupMembers = new Map<string, { users: string[]; at: number }>();
  /** conversations.create refused for its tier (20 a minute) until then: no use asking again before (epoch ms). */
  private createBlockedUntil = 0;
  /** Channels asked for while a store was writing the case they are for (see {@link openingCase}). */
  private readonly early = new Map<string, Promise<{ id: string; name: string }>>();

  constructor(
    private readonly client: WebClient,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: PublisherOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.lease = { name: LEASE, owner: leaseOwner('publisher'), ttlMs: LEASE_MS, now: this.now };
  }

  private inFlight: Promise<FlushResult> | undefined;
  private next: Promise<FlushResult> | undefined;

  /**
   * One flush at a time in this process: two flushes reading the same unposted rows
   * would both post them (the ticker, a job and a command all ask for flushes). A call
   * made while one runs shares the single follow-up flush, which starts when the running
   * one ends and so sees everything stored before the call.
   */
  flush(): Promise<FlushResult> {
    if (!this.inFlight) {
      const empty: FlushResult = { ...EMPTY_FLUSH, busy: true };
      const running: Promise<FlushResult> = this.withLease(() => this.flushOnce())
        .then((r) => r ?? empty)
        .finally(() => {
          if (this.inFlight === running) this.inFlight = undefined;
        });
      this.inFlight = running;
      return running;
    }
    const again = (): Promise<FlushResult> => {
      this.next = undefined;
      return this.flush();
    };
    this.next ??= this.inFlight.then(again, again);
    return this.next;
  }

  /**
   * The findings function's path: the cards of the findings an ingest just placed, posted
   * from what the pipeline handed over rather than from the outbox queries, then the
   * timeline posts of their cases. A case the ingest opened gets its channel, its card and
   * then the finding cards at once: the topic, pin, triage line and invites follow (card
   * and triage line still before invites). The rest of the outbox (other cases, edits held
   * back by the debounce, what failed) is the ticker's: a full flush per event re-reads
   * the whole outbox, which in a burst costs more than the cards themselves.
   */
  async publishPlaced(placed: PlacedFinding[]): Promise<FlushResult> {
    if (!placed.length) {
      await this.discardLeftovers();
      return { ...EMPTY_FLUSH };
    }
    // Cases this publisher's claim opened are posted at once, beside the lease (see newCaseClaim).
    const own = new Set(placed.filter((p) => p.created && this.ownsClaim(p.case)).map((p) => p.case.id));
    const rest = placed.filter((p) => !own.has(p.case.id));
    const [claimed, held] = await Promise.all([
      this.publishClaimed(placed.filter((p) => own.has(p.case.id))),
      rest.length ? this.exclusive(() => this.withLease(() => this.publishPlacedHeld(rest))).then((r) => r ?? { ...EMPTY_FLUSH, busy: true }) : Promise.resolve({ ...EMPTY_FLUSH }),
    ]);
    await this.discardLeftovers();
    return {
      channelsCreated: claimed.channelsCreated + held.channelsCreated,
      cardsPosted: claimed.cardsPosted + held.cardsPosted,
      cardsEdited: claimed.cardsEdited + held.cardsEdited,
      eventsPosted: claimed.eventsPosted + held.eventsPosted,
      failures: claimed.failures + held.failures,
      deferred: claimed.deferred + held.deferred,
      ...(held.busy ? { busy: true } : {}),
      ...(claimed.joinedWhileClaimed ? { joinedWhileClaimed: true } : {}),
    };
  }

  /**
   * The claim an ingest stores on each case it opens when this publisher posts its cards
   * right after (the findings function). The claim replaces the lease for that case: the
   * case did not exist before the ingest, no other publisher touches a claimed case, so
   * its channel and first cards go out without taking the lease or reading the case back
   * (two DynamoDB round trips before the first card).
   */
  newCaseClaim(): PublishClaim {
    return { owner: this.lease.owner, until: new Date(this.now().getTime() + CLAIM_MS).toISOString() };
  }

  /**
   * A store is about to write a case this publisher claimed: its channel is asked for now,
   * beside the write, so the first cards go out one Slack round trip after the case is
   * stored rather than two. The write may still lose a race: a channel whose case was not
   * stored is archived by {@link publishPlaced}, named in the log.
   */
  openingCase(draft: Case): void {
    if (!this.ownsClaim(draft) || draft.channelId || this.early.has(draft.id)) return;
    const channel = this.createChannel(draft);
    // Awaited by publishNewCase or discardEarly; a refusal must not go unhandled meanwhile.
    channel.catch(() => undefined);
    this.early.set(draft.id, channel);
  }

  /** Channels asked for early that no case of this ingest used. */
  private async discardLeftovers(): Promise<void> {
    const left = [...this.early];
    this.early.clear();
    for (const [caseId, channel] of left) {
      try {
        await this.discardEarly(caseId, channel);
      } catch (err) {
        this.log.error({ caseId, slackError: slackErrorCode(err), err: errorMessage(err) }, 'an unused case channel could not be archived; archive it by hand');
      }
    }
  }

  /** A channel asked for early whose case was not posted by this publisher: archived unless the case is stored (the next publisher adopts it by its name). */
  private async discardEarly(caseId: string, channel: Promise<{ id: string; name: string }>): Promise<void> {
    let made: { id: string; name: string };
    try {
      made = await channel;
    } catch {
      return;
    }
    if (await this.store.getCase(caseId)) return;
    this.log.warn({ caseId, channel: made.id }, 'a case channel was created for a case that was not opened (its write lost a race); archiving it');
    await archiveChannel(this.client, this.log, made.id, { caseId, reason: 'case not opened' });
  }

  private ownsClaim(c: Case): boolean {
    return c.publishClaim?.owner === this.lease.owner;
  }

  /** Another publisher opened the case and has not posted it yet: leave it to that one. */
  private claimedElsewhere(c: Case): boolean {
    return !!c.publishClaim && c.publishClaim.owner !== this.lease.owner && Date.parse(c.publishClaim.until) > this.now().getTime();
  }

  /** Posts the cases this publisher's claim opened, then gives each claim up. */
  private async publishClaimed(placed: PlacedFinding[]): Promise<FlushResult> {
    const result: FlushResult = { ...EMPTY_FLUSH };
    if (!placed.length) return result;
    const byCase = new Map<string, PlacedFinding[]>();
    for (const p of placed) byCase.set(p.case.id, [...(byCase.get(p.case.id) ?? []), p]);
    await eachCase([...byCase.values()], (ps) => (ps[0] as PlacedFinding).case.id, async (ps) => {
      // The case as the last placement of this ingest left it (later findings of the batch joined it).
      const fresh = ps.reduce((a, p) => (p.case.version > a.version ? p.case : a), (ps[0] as PlacedFinding).case);
      try {
        await this.guard(result, { caseId: fresh.id }, async () => {
          await this.publishNewCase(fresh, ps.map((p) => p.finding), result);
          for (const e of await this.store.listTimeline(fresh.id)) if (!e.postedTs) await this.postEvent(e, result);
        });
      } finally {
        // Given up on failure too: the ticker then takes the case at once, not when the claim runs out.
        if (await this.releaseClaim(fresh).catch(() => false)) result.joinedWhileClaimed = true;
      }
    });
    return result;
  }

  /** A case another publisher has claimed: counted as deferred, due when that claim has had time to finish. */
  private leftToClaim(c: Case, result: FlushResult): void {
    const due = Math.min(Date.parse((c.publishClaim as PublishClaim).until), this.now().getTime() + 1000);
    result.deferred++;
    result.nextDueAt = Math.min(result.nextDueAt ?? due, due);
  }

  /** Clears this publisher's claim on a case; true when findings joined it meanwhile. */
  private async releaseClaim(fresh: Case): Promise<boolean> {
    let joined = false;
    await updateWithRetry({
      what: `case ${fresh.id}`,
      // Read, not `fresh`: this publisher's own saves have moved the version on since.
      read: () => this.store.getCase(fresh.id),
      mutate: (cur) => {
        // A join moves lastActivityAt (raiseCase); this publisher's own saves do not.
        joined = cur.lastActivityAt !== fresh.lastActivityAt;
        if (!this.ownsClaim(cur)) return undefined;
        const next = { ...cur };
        delete next.publishClaim;
        return next;
      },
      write: (next) => this.store.updateCase(next),
    });
    return joined;
  }

  /** Runs `fn` alone in this process: after the flush in flight (and its follow-up), before any flush asked for meanwhile. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    for (let busy = this.next ?? this.inFlight; busy; busy = this.next ?? this.inFlight) await busy.catch(() => undefined);
    const run = fn();
    const held: Promise<FlushResult> = run.then(
      () => ({ ...EMPTY_FLUSH }),
      () => ({ ...EMPTY_FLUSH }),
    );
    this.inFlight = held;
    void held.finally(() => {
      if (this.inFlight === held) this.inFlight = undefined;
    });
    return run;
  }

  private async publishPlacedHeld(placed: PlacedFinding[]): Promise<FlushResult> {
    const result: FlushResult = { ...EMPTY_FLUSH };
    const byCase = new Map<string, StoredFinding[]>();
    for (const p of placed) byCase.set(p.case.id, [...(byCase.get(p.case.id) ?? []), p.finding]);
    await eachCase([...byCase], ([caseId]) => caseId, ([caseId, findings]) =>
      this.guard(result, { caseId }, async () => {
        // Read once under the lease: another publisher may have posted this case meanwhile.
        const c = await this.store.getCase(caseId);
        if (!c || c.mergedInto) return;
        if (this.claimedElsewhere(c)) return this.leftToClaim(c, result);
        if (!c.channelId) {
          await this.publishNewCase(c, findings, result);
          for (const e of await this.store.listTimeline(caseId)) if (!e.postedTs) await this.postEvent(e, result);
          return;
        }
        const cache = new Map<string, StoredFinding[]>();
        for (const key of new Set(findings.map(findingCardKey))) await this.publishCard(caseId, key, cache, result);
        if (c.cardDirty) await this.publishCase(c, result);
        for (const e of await this.store.listTimeline(caseId)) if (!e.postedTs) await this.postEvent(e, result);
      }),
    );
    return result;
  }

  /**
   * A case this ingest opened: channel, case card, then its finding cards, with nothing
   * read back (the findings are the ones just placed). Each Slack id is stored as Slack
   * returns it, alongside the next call rather than before it. The rest of the case (topic,
   * pin, triage line, invites) is {@link publishCase}'s, right after.
   */
  private async publishNewCase(fresh: Case, findings: StoredFinding[], result: FlushResult): Promise<void> {
    const early = this.early.get(fresh.id);
    this.early.delete(fresh.id);
    const channel = await (early ?? this.createChannel(fresh));
    result.channelsCreated++;
    const groups = new Map<string, StoredFinding[]>();
    for (const f of findings) groups.set(findingCardKey(f), [...(groups.get(findingCardKey(f)) ?? []), f]);
    const now = this.now().toISOString();
    // The case card and the finding cards go out side by side (a new channel's first posts
    // fit chat.postMessage's short burst): the finding a responder is paged for is visible
    // one Slack round trip after the channel, not two. The case card is pinned, so it stays
    // at hand whichever lands first.
    // Asked for first, so it is usually (not always) the channel's first message.
    const caseCard = this.client.chat.postMessage({ channel: channel.id, ...renderCaseCard(fresh, findings), unfurl_links: false });
    const posting = (async () => {
      for (const group of groups.values()) {
        const posted = await this.client.chat.postMessage({ channel: channel.id, ...renderFindingGroupCard(group), unfurl_links: false });
        await this.saveCards(group, { cardTs: posted.ts, cardAt: now });
        result.cardsPosted++;
      }
    })();
    const [card, withChannel] = await allSettledOrThrow([caseCard, this.save(fresh, { channelId: channel.id, channelName: channel.name }), posting] as const);
    // A finding that joined since the read makes the card stale: it stays dirty for the edit.
    const saved = await updateWithRetry({
      what: `case ${fresh.id}`,
      initial: withChannel,
      read: () => this.store.getCase(fresh.id),
      mutate: (cur) => ({ ...cur, cardTs: card.ts, cardEditedAt: now, cardDirty: cur.cardDirty && cur.version !== withChannel.version }),
      write: (next) => this.store.updateCase(next),
    });
    await this.store.appendTimeline({ caseId: fresh.id, at: now, kind: 'channel.created', actor: 'cordon', text: `Case channel #${channel.name} created`, silent: true });
    await this.client.conversations.setTopic({ channel: channel.id, topic: caseTopic(fresh) });
    await this.publishCase(saved ?? { ...withChannel, cardTs: card.ts }, result);
  }

  /** Runs `fn` holding the publisher lease; undefined when another process kept it for `leaseWaitMs`. */
  private async withLease<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const deadline = Date.now() + (this.opts.leaseWaitMs ?? 10_000);
    for (;;) {
      const r = await withLease(this.store, this.lease, fn);
      if (r.held) return r.value;
      if (Date.now() >= deadline) {
        this.log.info({ lease: LEASE }, 'another process is posting to Slack; leaving the work to it');
        return undefined;
      }
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
    }
  }

  private async flushOnce(): Promise<FlushResult> {
    const result: FlushResult = { channelsCreated: 0, cardsPosted: 0, cardsEdited: 0, eventsPosted: 0, failures: 0, deferred: 0 };
    // Triage lines and case card edits wait for the last pass. The lines all go to one
    // channel, about one a second (chat.postMessage's per-channel limit), and a burst of new
    // cases would otherwise hold every case channel's cards behind that one channel; the
    // edits share chat.update's Tier 3 (50+ a minute) with the finding cards' edits, which
    // show findings no card shows yet, so those go first.
    await eachCase(await this.store.casesToPublish(BATCH), (c) => c.id, (c) => this.guard(result, { caseId: c.id }, () => this.publishCase(c, result, { triageLine: false, cardEdit: false })));
    // Each case's events in order, cases side by side (each channel has its own limit).
    await eachCase(await this.store.unpostedTimeline(BATCH * 5), (e) => e.caseId, (e) => this.guard(result, { caseId: e.caseId, eventId: e.id }, () => this.postEvent(e, result)));
    // One card per finding type per case: what is unposted or stale, by the card it belongs on.
    const groups = new Map<string, { caseId: string; key: string }>();
    for (const sf of await this.store.findingsToPublish(BATCH * 5)) {
      if (!sf.caseId) continue;
      const key = findingCardKey(sf);
      groups.set(`${sf.caseId}\u0000${key}`, { caseId: sf.caseId, key });
    }
    const caseFindings = new Map<string, StoredFinding[]>();
    const cases = new Map<string, Promise<Case | undefined>>();
    await eachCase([...groups.values()], (g) => g.caseId, (g) => this.guard(result, { caseId: g.caseId, card: g.key }, () => this.publishCard(g.caseId, g.key, caseFindings, result, cases)));
    // Cards posted above may have made case cards stale; render them once more, and post the triage lines.
    const stale = (await this.store.casesToPublish(BATCH)).filter((c) => c.channelId && c.cardTs);
    await eachCase(stale, (c) => c.id, (c) => this.guard(result, { caseId: c.id }, () => this.publishCase(c, result)));
    return result;
  }

  /** Flushes until nothing is deferred (waiting out the edit debounce), or `maxWaitMs` passes. */
  async drain(maxWaitMs: number, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<FlushResult> {
    const deadline = Date.now() + maxWaitMs;
    let last = await this.flush();
    while (last.deferred > 0 && last.nextDueAt !== undefined && Date.now() < deadline) {
      await sleep(Math.max(50, Math.min(last.nextDueAt - this.now().getTime(), deadline - Date.now())));
      const next = await this.flush();
      last = { ...next, cardsPosted: last.cardsPosted + next.cardsPosted, cardsEdited: last.cardsEdited + next.cardsEdited };
    }
    return last;
  }

  private async guard(result: FlushResult, ctx: Record<string, unknown>, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      result.failures++;
      this.log.error({ ...ctx, slackError: slackErrorCode(err), err: errorMessage(err) }, 'slack publish failed; will retry');
    }
  }

  private async save(c: Case, patch: Partial<Case>): Promise<Case> {
    // Reload on conflict: the pipeline may have widened the case meanwhile.
    const saved = await updateWithRetry({
      what: `case ${c.id}`,
      initial: c,
      read: () => this.store.getCase(c.id),
      mutate: (current) => ({ ...current, ...patch }),
      write: (next) => this.store.updateCase(next),
    });
    return saved ?? c;
  }

  private async publishCase(initial: Case, result: FlushResult, opts: { triageLine?: boolean; cardEdit?: boolean } = {}): Promise<void> {
    if (this.claimedElsewhere(initial)) return this.leftToClaim(initial, result);
    if (initial.mergedInto) return this.retireChannel(initial, result);
    let c = initial;
    if (!c.channelId) {
      const channel = await this.createChannel(c);
      c = await this.save(c, { channelId: channel.id, channelName: channel.name });
      result.channelsCreated++;
      await this.store.appendTimeline({
        caseId: c.id,
        at: this.now().toISOString(),
        kind: 'channel.created',
        actor: 'cordon',
        text: `Case channel #${channel.name} created`,
        silent: true,
      });
      await this.client.conversations.setTopic({ channel: channel.id, topic: caseTopic(c) });
    }
    const channelId = c.channelId as string;
    const findings = await this.store.listFindings({ caseId: c.id });
    const now = this.now();
    // Edits of the case card (and its triage line) wait out cardEditIntervalMs as finding
    // cards do: in a burst every join makes the card stale, and chat.update is Tier 3
    // (50+ a minute per workspace, https://api.slack.com/docs/rate-limits), shared with the
    // finding cards' edits. Band raises and escalations are timeline posts, not waiting here.
    const editDue = Date.parse(c.cardEditedAt ?? '1970-01-01T00:00:00Z') + this.opts.cardEditIntervalMs;
    if (!c.cardTs) {
      const card = renderCaseCard(c, findings);
      const posted = await this.client.chat.postMessage({ channel: channelId, ...card, unfurl_links: false });
      c = await this.save(c, { cardTs: posted.ts, cardDirty: false, cardEditedAt: now.toISOString() });
    } else if (c.cardDirty && opts.cardEdit === false) {
      // The flush's last pass edits it, after the finding cards (see flushOnce).
    } else if (c.cardDirty && editDue > now.getTime()) {
      result.deferred++;
      result.nextDueAt = Math.min(result.nextDueAt ?? editDue, editDue);
    } else if (c.cardDirty) {
      await this.client.chat.update({ channel: channelId, ts: c.cardTs, ...renderCaseCard(c, findings) });
      c = await this.save(c, { cardDirty: false, cardEditedAt: now.toISOString() });
      if (c.indexTs) {
        await this.client.chat.update({ channel: this.opts.triageChannel, ts: c.indexTs, ...renderIndexLine(c, findings.length) });
      }
    }
    if (!c.cardPinned && c.cardTs) {
      try {
        await this.client.pins.add({ channel: channelId, timestamp: c.cardTs });
      } catch (err) {
        if (slackErrorCode(err) !== 'already_pinned') throw err;
      }
      c = await this.save(c, { cardPinned: true });
    }
    if (!c.indexTs && opts.triageLine !== false) {
      const posted = await this.postToTriage(renderIndexLine(c, findings.length));
      c = await this.save(c, { indexTs: posted });
    }
    // Invites come last: the card and the triage line never wait on them, and a failed
    // invite is a note in the channel, never a case without a card.
    if (!c.invitedAt) {
      await this.invite(c, channelId);
      c = await this.save(c, { invitedAt: this.now().toISOString() });
    }
  }

  /**
   * A case merged into another: its pointer (and anything else still unposted) goes to its
   * channel first, then the channel is archived, so whoever opens it reads where the case went.
   */
  private async retireChannel(c: Case, result: FlushResult): Promise<void> {
    if (!c.channelId) return;
    for (const e of await this.store.listTimeline(c.id)) if (!e.postedTs) await this.postEvent(e, result);
    if (c.indexTs) await this.client.chat.update({ channel: this.opts.triageChannel, ts: c.indexTs, ...renderIndexLine(c, 0) });
    await archiveChannel(this.client, this.log, c.channelId, { caseId: c.id, mergedInto: c.mergedInto });
    await this.save(c, { channelArchivedAt: this.now().toISOString() });
  }

  /**
   * conversations.create is Tier 2 (20+ a minute, https://api.slack.com/docs/rate-limits): a
   * burst of new cases meets its limit, and Slack's Retry-After then says when to ask again.
   * Until then each case waiting for a channel is skipped rather than refused once more.
   */
  private async createChannel(c: Case): Promise<{ id: string; name: string }> {
    const now = Date.now();
    if (now < this.createBlockedUntil) throw new CordonError(ErrorCode.SLACK_FAILED, `channel creation rate limited for ${Math.ceil((this.createBlockedUntil - now) / 1000)} s more`);
    try {
      return await createOrAdoptChannel(this.client, this.log, {
        nameFor: (attempt) => caseChannelName(this.opts.prefix, c.id, c.primaryType, attempt),
        attempts: NAME_ATTEMPTS,
        isPrivate: this.opts.privateChannels,
        logContext: { caseId: c.id },
      });
    } catch (err) {
      const retryAfter = (err as { code?: unknown; retryAfter?: unknown }).code === 'slack_webapi_rate_limited_error' ? (err as { retryAfter?: unknown }).retryAfter : undefined;
      if (typeof retryAfter === 'number') this.createBlockedUntil = Date.now() + retryAfter * 1000;
      throw err;
    }
  }

  /** A user group's members, cached for `access.groupCacheTtl` (people join and leave groups). */
  private async members(group: string): Promise<string[]> {
    const cached = this.groupMembers.get(group);
    const now = this.now().getTime();
    if (cached && now - cached.at < (this.opts.groupCacheTtlMs ?? 300_000)) return cached.users;
    const res = await this.client.usergroups.users.list({ usergroup: group });
    const users = res.users ?? [];
    this.groupMembers.set(group, { users, at: now });
    return users;
  }

  /**
   * Invites the configured people, the configured groups' members and the owners the
   * rules allow. Nothing here throws for one person or group: each failure is a note
   * posted in the case channel (a deactivated user, a group Slack cannot list, an owner
   * who is a guest), and the rest are still invited.
   */
  private async invite(c: Case, channelId: string): Promise<void> {
    const users = new Set(this.opts.invite);
    const notes: string[] = [];
    for (const g of this.opts.inviteGroups) {
      try {
        for (const u of await this.members(g)) users.add(u);
      } catch (err) {
        notes.push(`User group ${g} could not be read (${slackErrorCode(err) ?? errorMessage(err).slice(0, 100)}); its members were not invited`);
      }
    }
    const asks: { email: string; userId: string }[] = [];
    if (this.opts.inviteResourceOwners) {
      for (const email of c.ownerEmails) {
        const owner = await this.owner(email);
        if (owner.invite) users.add(owner.invite);
        if (owner.note) notes.push(owner.note);
        if (owner.ask) asks.push({ email, userId: owner.ask });
      }
    }
    const bot = await botUserId(this.client);
    if (bot) users.delete(bot);
    for (const batch of chunks([...users], INVITE_BATCH)) notes.push(...(await this.inviteBatch(channelId, batch)));
    for (const text of notes) {
      await this.store.appendTimeline({ caseId: c.id, at: this.now().toISOString(), kind: 'note', actor: 'cordon', text });
    }
    for (const a of asks) {
      try {
        await this.client.chat.postMessage({ channel: channelId, ...renderOwnerInvite(c.id, a.email, a.userId), unfurl_links: false });
      } catch (err) {
        // The button is a convenience: the owner can still be invited by hand; the card stands.
        this.log.warn({ caseId: c.id, slackError: slackErrorCode(err) }, 'owner invite button not posted');
      }
    }
  }

  /**
   * Whether the person in an Owner tag is invited. Whoever can tag a resource writes the
   * tag, so a tag alone never brings someone into a private case channel: only a full
   * member (not a guest, not a bot, not deactivated) whose e-mail domain the config lists.
   * Otherwise the channel names them, for a responder to invite.
   */
  private async owner(email: string): Promise<{ invite?: string; note?: string; ask?: string }> {
    const shown = safeText(email, 120);
    let user: { id?: string; deleted?: boolean; is_bot?: boolean; is_restricted?: boolean; is_ultra_restricted?: boolean } | undefined;
    try {
      user = (await this.client.users.lookupByEmail({ email })).user;
    } catch (err) {
      if (slackErrorCode(err) === 'users_not_found') return { note: `Resource owner ${shown} (Owner tag) has no Slack account in this workspace; not invited` };
      return { note: `Resource owner ${shown} (Owner tag) could not be looked up (${slackErrorCode(err) ?? 'error'}); not invited` };
    }
    if (!user?.id) return { note: `Resource owner ${shown} (Owner tag) has no Slack account in this workspace; not invited` };
    const kind = user.deleted ? 'a deactivated account' : user.is_bot ? 'a bot' : user.is_restricted || user.is_ultra_restricted ? 'a guest' : undefined;
    if (kind) return { note: `Resource owner ${shown} (Owner tag) is ${kind} in Slack; not invited` };
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    const allowed = this.opts.resourceOwnerDomains ?? [];
    if (allowed.includes(domain)) return { invite: user.id };
    // No allowlist: a responder decides, with the "Invite owner" button.
    if (!allowed.length) return { ask: user.id };
    return { note: `Resource owner ${shown} (Owner tag, Slack user ${user.id}) was not invited: ${safeText(domain, 80)} is not an owner domain in the config. A responder who knows them can invite them to this channel` };
  }

  /** One conversations.invite call (at most {@link INVITE_BATCH} users); what failed, as notes. */
  private async inviteBatch(channelId: string, users: string[]): Promise<string[]> {
    try {
      const res = await this.client.conversations.invite({ channel: channelId, users: users.join(','), force: true });
      return inviteErrors(res.errors);
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === 'already_in_channel') return [];
      const perUser = inviteErrors((err as { data?: { errors?: unknown } }).data?.errors);
      this.log.warn({ channel: channelId, slackError: code, users: users.length }, 'conversations.invite failed');
      return perUser.length ? perUser : [`Inviting ${users.length} people failed (${code ?? errorMessage(err).slice(0, 100)}); invite them by hand`];
    }
  }

  private async postToTriage(msg: { text: string; blocks: unknown[] }): Promise<string> {
    const post = async () =>
      (await this.client.chat.postMessage({ channel: this.opts.triageChannel, text: msg.text, ...(msg.blocks.length ? { blocks: msg.blocks as never } : {}), unfurl_links: false })).ts as string;
    try {
      return await post();
    } catch (err) {
      // A public triage channel the bot was never added to: join it once and retry.
      if (slackErrorCode(err) !== 'not_in_channel') throw err;
      await this.client.conversations.join({ channel: this.opts.triageChannel });
      return post();
    }
  }

  private async postEvent(e: TimelineEvent, result: FlushResult): Promise<void> {
    const c = await this.store.getCase(e.caseId);
    if (c && this.claimedElsewhere(c)) return this.leftToClaim(c, result);
    if (!c?.channelId) return;
    const posted = await this.client.chat.postMessage({ channel: c.channelId, ...renderTimelineEvent(e), unfurl_links: false });
    await this.store.markTimelinePosted(e.id, posted.ts as string);
    result.eventsPosted++;
  }

  /**
   * Posts or edits the card of one finding type in a case. The card's ts is stored on every
   * finding it shows; findings that joined since, or were re-sent, are what makes it stale.
   * Edits wait out `cardEditIntervalMs` since the card's last post or edit, so a burst of
   * findings of one type is one post and a few edits, never an edit per finding: chat.update
   * is Tier 3 (50+ a minute per app per workspace) and chat.postMessage about one message a
   * second per channel (https://api.slack.com/docs/rate-limits), so a post or edit per finding
   * would hold a busy case channel behind Slack's limits.
   */
  private async publishCard(caseId: string, key: string, cache: Map<string, StoredFinding[]>, result: FlushResult, cases = new Map<string, Promise<Case | undefined>>()): Promise<void> {
    // Read once per flush: a case with many stale cards (a burst) is not read per card.
    let read = cases.get(caseId);
    if (!read) {
      read = this.store.getCase(caseId);
      cases.set(caseId, read);
    }
    const c = await read;
    if (c && this.claimedElsewhere(c)) return this.leftToClaim(c, result);
    if (!c?.channelId) return;
    let inCase = cache.get(caseId);
    if (!inCase) {
      inCase = await this.store.listFindings({ caseId });
      cache.set(caseId, inCase);
    }
    const group = inCase.filter((f) => f.disposition === 'cased' && findingCardKey(f) === key);
    const stale = (ts: string | undefined) => group.filter((f) => f.cardTs !== ts || f.cardDirty);
    if (group.length === 0) return;
    const now = this.now();
    // The card already in the channel: the one the earliest finding of the group carries.
    const ts = group.find((f) => f.cardTs)?.cardTs;
    if (!ts) {
      const posted = await this.client.chat.postMessage({ channel: c.channelId, ...renderFindingGroupCard(group), unfurl_links: false });
      await this.saveCards(group, { cardTs: posted.ts, cardAt: now.toISOString() });
      result.cardsPosted++;
      return;
    }
    const changed = stale(ts);
    if (changed.length === 0) return;
    const lastAt = Math.max(0, ...group.filter((f) => f.cardTs === ts && f.cardAt).map((f) => Date.parse(f.cardAt as string)));
    const due = lastAt + this.opts.cardEditIntervalMs;
    if (due > now.getTime()) {
      result.deferred++;
      result.nextDueAt = Math.min(result.nextDueAt ?? due, due);
      return;
    }
    await this.client.chat.update({ channel: c.channelId, ts, ...renderFindingGroupCard(group) });
    await this.saveCards(changed, { cardTs: ts, cardAt: now.toISOString() });
    result.cardsEdited++;
  }

  /** Stores where each finding's card is, as rendered from `rendered`. */
  private async saveCards(rendered: StoredFinding[], patch: Partial<StoredFinding>): Promise<void> {
    for (const sf of rendered) await this.saveCard(sf, patch);
  }

  private async saveCard(sf: StoredFinding, patch: Partial<StoredFinding>): Promise<void> {
    await updateWithRetry({
      what: `finding ${sf.id}`,
      initial: sf,
      read: () => this.store.getFinding(sf.id),
      // A re-send that landed meanwhile keeps the card dirty: compare the finding we rendered.
      // So does a link to an attack sequence made meanwhile.
      mutate: (current) => ({
        ...current,
        ...patch,
        cardDirty: current.finding.count !== sf.finding.count || current.finding.updatedAt !== sf.finding.updatedAt || current.signalOf?.findingId !== sf.signalOf?.findingId,
      }),
      write: (next) => this.store.updateFinding(next),
    });
  }

  /**
   * Posts a stored plan's message in its case channel (the job that made the plan stores
   * where it went, so a re-run of the job does not post it twice).
   */
  async postPlan(action: Action, channelId: string): Promise<{ channel: string; ts: string | undefined }> {
    const posted = await this.client.chat.postMessage({ channel: channelId, ...renderActionMessage(action), unfurl_links: false });
    return { channel: channelId, ts: posted.ts };
  }

  /** Posts the Low-severity digest to the triage channel (all pending, in bounded messages). */
  async postDigest(periodLabel: string): Promise<number> {
    return (await this.withLease(() => this.postDigestHeld(periodLabel))) ?? 0;
  }

  private async postDigestHeld(periodLabel: string): Promise<number> {
    let total = 0;
    for (;;) {
      const pending = await this.store.digestPending(DIGEST_MAX_FINDINGS);
      if (pending.length === 0) return total;
      // Each message is marked as soon as it is posted: a failure part way re-posts only what is left.
      for (const msg of renderDigest(pending, periodLabel)) {
        await this.postDigestMessage(msg);
        await this.store.markDigested(msg.findingIds, this.now().toISOString());
        total += msg.findingIds.length;
      }
    }
  }

  /**
   * A digest message Slack refuses for its content would be refused again on every tick,
   * and Low findings would never appear: instead the refusal is logged and said in the
   * triage channel in one plain line, and its findings count as digested. Anything else
   * (rate limits, Slack down) throws, and the next tick posts what is left.
   */
  private async postDigestMessage(msg: DigestMessage): Promise<void> {
    try {
      await this.postToTriage(msg);
    } catch (err) {
      const code = slackErrorCode(err);
      if (!code || !REFUSED_CONTENT.has(code)) throw err;
      this.log.error({ slackError: code, findings: msg.findingIds.length }, 'Slack refused a digest message; recorded and not retried');
      await this.postToTriage({ text: `:warning: ${msg.findingIds.length} Low-severity findings could not be listed: Slack refused the digest message (${code}). They are in the store (\`cordon report\`, GuardDuty console).`, blocks: [] });
    }
  }
}
