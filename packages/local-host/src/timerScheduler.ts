import type { Timer } from '@azure/functions';
import type { FunctionRegistration } from './functionsCore';
import type { Invoker } from './invoke';
import { nextOccurrence, parseNcrontab } from './ncrontab';
import { resolveAppSettingReferences } from './settings';
import { parseTimeSpan } from './timeSpan';
import { text } from './text';

/**
 * Runs a `timerTrigger` function on its schedule, in UTC, never overlapping itself:
 * the next occurrence is computed after a run ends, so occurrences missed while it ran
 * are skipped, as the host does.
 */

interface Schedule {
  text: string;
  adjustForDST: boolean;
  next(after: Date): Date;
}

/** The "never ran" value the host reports for `scheduleStatus.last` (DateTime.MinValue). */
const NEVER = '0001-01-01T00:00:00.000Z';
/** setTimeout cannot wait longer than this. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export function parseSchedule(raw: string): Schedule {
  const text = raw.trim();
  let cronError: Error;
  try {
    const cron = parseNcrontab(text);
    return { text, adjustForDST: true, next: (after) => nextOccurrence(cron, after) };
  } catch (e) {
    cronError = e as Error;
  }
  if (text.includes(':') && text.split(/\s+/).length === 1) {
    const ms = parseTimeSpan(text);
    if (ms <= 0) throw new Error(`timer schedule "${text}" must be a positive interval`);
    return { text, adjustForDST: false, next: (after) => new Date(after.getTime() + ms) };
  }
  throw cronError;
}

export class TimerScheduler {
  readonly schedule: Schedule;
  readonly fn: FunctionRegistration;
  readonly #invoke: Invoker;
  #status = { last: NEVER, next: NEVER, lastUpdated: new Date().toISOString() };
  #stopped = false;
  #wake?: () => void;
  #loop?: Promise<void>;

  constructor(fn: FunctionRegistration, invoke: Invoker, env: NodeJS.ProcessEnv = process.env) {
    this.fn = fn;
    this.#invoke = invoke;
    const raw = resolveAppSettingReferences(text(fn.trigger.schedule ?? ''), env, `function "${fn.name}" schedule`);
    try {
      this.schedule = parseSchedule(raw);
    } catch (e) {
      throw new Error(`Function "${fn.name}": ${(e as Error).message}`, { cause: e });
    }
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    if (this.fn.trigger.runOnStartup === true) await this.#fire(false);
    let from = new Date();
    while (!this.#stopped) {
      const due = this.schedule.next(from);
      this.#status.next = due.toISOString();
      await this.#sleepUntil(due);
      if (this.#stopped) break;
      await this.#fire(true);
      this.#status = { last: due.toISOString(), next: this.#status.next, lastUpdated: new Date().toISOString() };
      from = new Date(Math.max(Date.now(), due.getTime()));
    }
  }

  async #fire(scheduled: boolean): Promise<void> {
    const timer: Timer = { isPastDue: false, schedule: { adjustForDST: this.schedule.adjustForDST }, scheduleStatus: { ...this.#status } };
    const reason = scheduled ? `Timer fired at ${new Date().toISOString()}` : 'The timer is configured to run on startup';
    try {
      await this.#invoke(this.fn, { input: timer, reason });
    } catch {
      // The invoker has logged the failure; a failed run does not stop the schedule.
    }
  }

  #sleepUntil(due: Date): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const arm = () => {
        const wait = due.getTime() - Date.now();
        if (this.#stopped || wait <= 0) return done();
        // Re-arm rather than trust one long timeout: the wall clock may move and long delays overflow.
        timer = setTimeout(arm, Math.min(wait, MAX_DELAY_MS));
      };
      this.#wake = done;
      arm();
    });
  }
}
