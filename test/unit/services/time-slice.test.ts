import { TimeSlice } from '../../../src/services/time-slice';

/** Counts loop turns: an immediate that re-queues itself until stopped. */
function turnCounter(): { turns: () => number; stop: () => void } {
  let n = 0;
  let on = true;
  const tick = (): void => {
    n++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return { turns: () => n, stop: () => (on = false) };
}

describe('TimeSlice', () => {
  it('does not yield before its budget is used, then lets the event loop turn', async () => {
    let now = 0;
    const slice = new TimeSlice(3, () => now);
    const loop = turnCounter();
    now = 2;
    await slice.pause();
    expect(loop.turns()).toBe(0);
    now = 3;
    await slice.pause();
    loop.stop();
    expect(loop.turns()).toBeGreaterThan(0);
  });

  it('lets I/O that arrives while work runs through before the work finishes', async () => {
    const slice = new TimeSlice(2);
    let answeredAt = -1;
    let done = 0;
    setImmediate(() => (answeredAt = done));
    // 200 ms of synchronous work in small pieces, as ingestion does between store calls.
    for (let i = 0; i < 100; i++) {
      const end = performance.now() + 2;
      while (performance.now() < end);
      done++;
      await slice.pause();
    }
    expect(answeredAt).toBeGreaterThanOrEqual(0);
    expect(answeredAt).toBeLessThan(5);
  });

  it('yields one turn when the loop is quiet, and up to 16 while it is busy', async () => {
    let now = 10;
    const quiet = new TimeSlice(1, () => now);
    now = 12;
    let loop = turnCounter();
    await quiet.pause();
    loop.stop();
    expect(loop.turns()).toBe(1);

    // Every read of this clock is 1 ms later: every turn looks busy, yet the slice resumes.
    let t = 10;
    const busy = new TimeSlice(1, () => (t += 1));
    loop = turnCounter();
    await busy.pause();
    loop.stop();
    expect(loop.turns()).toBe(16);
  });
});
