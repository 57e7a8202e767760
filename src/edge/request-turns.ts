// Requests take turns in the order the event loop saw them.
//
// Each pass of the event loop reads every socket that has data, in the order the
// kernel lists them; under load that order is the same fixed rotation of
// connections pass after pass, and a request that arrived just after a pass
// began is served last in the next one: it waits two passes while every other
// request waits one (at concurrency 16 on a busy server, one request in sixteen).
// Handing out one turn per pass, first come first served, puts the requests seen
// in later passes behind those already waiting, and lets the loop look for new
// arrivals between turns.
//
//   pass n:   poll → read and queue requests A, B, C → check: A's turn
//   pass n+1: poll → read and queue D               → check: B's turn
//   pass n+2: poll                                  → check: C's turn …

export class RequestTurns {
  private readonly waiting: (() => void)[] = [];
  private granting = false;

  /** Resolves when the caller's turn comes: at the end of this pass of the event loop at the earliest. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.granting) {
        this.granting = true;
        setImmediate(this.grant);
      }
    });
  }

  /** Runs in the loop's check phase: one turn, then the next one in the next pass. */
  private readonly grant = (): void => {
    const resolve = this.waiting.shift()!;
    if (this.waiting.length > 0) setImmediate(this.grant);
    else this.granting = false;
    resolve();
  };
}
