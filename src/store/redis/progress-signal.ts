// Wakes waiters when the store makes progress (a batch applied, the connection changed) to re-check a condition.

export class ProgressSignal {
  private readonly waiters = new Set<() => void>();

  /** Lets every waiter re-check its condition. */
  notify(): void {
    for (const check of [...this.waiters]) check();
  }

  /** Resolves true once `done()` holds (checked now and on every notify), or false after `timeoutMs`. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: boolean) => {
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(result);
      };
      const check = () => {
        if (done()) finish(true);
      };
      this.waiters.add(check);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
    });
  }
}
