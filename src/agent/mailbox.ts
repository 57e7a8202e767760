// A task owner's mailbox: messages wait in order until the owner's loop takes
// them, one at a time.

export class Mailbox<T> {
  private readonly items: T[] = [];
  private waiter: ((m: T) => void) | undefined;

  post(m: T): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(m);
    } else this.items.push(m);
  }

  take(signal: AbortSignal): Promise<T> {
    const next = this.items.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        this.waiter = undefined;
        reject(signal.reason as Error);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiter = (m) => {
        signal.removeEventListener("abort", onAbort);
        resolve(m);
      };
    });
  }
}
