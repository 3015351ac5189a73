/**
 * Bounded concurrency for key derivations (scrypt, 32 MiB and ~150 ms each): at most `capacity` run at once and at
 * most `queue` wait; beyond, `enter` answers null at once and the caller refuses (503 with Retry-After) rather than
 * queue without end. libuv's 4 threads thus always keep room for the rest of the service's work.
 */
export class DerivationGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    readonly queue: number,
  ) {}

  /** A slot (resolved with the function that gives it back), or null when the gate and its queue are full. */
  enter(): Promise<() => void> | null {
    if (this.running < this.capacity) {
      this.running++;
      return Promise.resolve(this.leaver());
    }
    if (this.waiting.length >= this.queue) return null;
    return new Promise((resolve) => this.waiting.push(() => resolve(this.leaver())));
  }

  private leaver(): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}
