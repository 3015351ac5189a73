/** A place at the gate: `ready` resolves when its derivation may run; `leave` gives the place back (once). */
export interface GateTicket {
  ready: Promise<void>;
  leave(): void;
}

/**
 * Bounded concurrency for key derivations (scrypt, 32 MiB and ~150 ms each): at most `capacity` run at once and at
 * most `queue` wait; beyond, `enter` answers null at once (no I/O, no allocation) and the caller refuses (503 with
 * Retry-After) rather than queue without end. libuv's 4 threads thus always keep room for the rest of the service.
 */
export class DerivationGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly capacity: number,
    readonly queue: number,
  ) {}

  /** Would `enter` answer null now? (A caller sheds its load before any other work.) */
  get full(): boolean {
    return this.running >= this.capacity && this.waiting.length >= this.queue;
  }

  /** A ticket, or null when the gate and its queue are full. A waiting ticket that leaves frees its queue place. */
  enter(): GateTicket | null {
    if (this.running < this.capacity) {
      this.running++;
      return { ready: Promise.resolve(), leave: this.leaver(() => true) };
    }
    if (this.waiting.length >= this.queue) return null;
    let started = false;
    let wake!: () => void;
    const ready = new Promise<void>((resolve) => {
      wake = () => {
        started = true;
        resolve();
      };
    });
    this.waiting.push(wake);
    const leave = this.leaver(() => started);
    return {
      ready,
      leave: () => {
        if (!started) {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
        }
        leave();
      },
    };
  }

  /** Gives a running place back to the next waiting ticket (or frees it); a ticket that never ran gives nothing. */
  private leaver(ran: () => boolean): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (!ran()) return;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}
