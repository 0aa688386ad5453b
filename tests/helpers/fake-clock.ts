import type { Clock } from "../../src/clock.ts";

/** A Clock whose time moves only with `advance(ms)`, firing due callbacks in order. */
export class FakeClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  constructor(private time = Date.UTC(2024, 0, 1)) {}

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, running every callback that falls due, in time order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.time = next.at;
      next.fn();
      // Let promise chains started by the callback settle before the next one.
      for (let i = 0; i < 20; i++) await Promise.resolve();
    }
    this.time = end;
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }

  /** Number of pending callbacks. */
  get pending(): number {
    return this.timers.length;
  }
}
