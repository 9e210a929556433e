// What the dev loop (tools/dev.ts) prints while a long update runs: each resource step as it
// starts and ends, from the engine's events. A quick update prints none of it, only its summary.

/** The fields of a step's engine event (@pulumi/pulumi/automation's EngineEvent) read here. */
interface StepMetadata {
    readonly op: string;
    readonly urn: string;
    readonly type: string;
    readonly provider: string;
}

/** An engine event, as far as a step's progress reads it: an EngineEvent is one. */
export interface StepEvent {
    readonly resourcePreEvent?: { readonly metadata: StepMetadata };
    readonly resOutputsEvent?: { readonly metadata: StepMetadata };
    readonly resOpFailedEvent?: { readonly metadata: StepMetadata };
}

export interface ProgressOptions {
    /** Where the text goes (process.stdout.write). */
    readonly write: (text: string) => void;
    /** A terminal: one line rewritten in place; otherwise a line as each step starts and ends. */
    readonly tty: boolean;
    /** Milliseconds since some fixed point (Date.now): a test steps it by hand. */
    readonly now: () => number;
    /** Nothing is printed before the update has run this long. */
    readonly graceMs?: number;
    /** The terminal's width: the updating line is cut to it, as a wrapped line is not rewritten. */
    readonly columns?: number | undefined;
}

interface Step {
    readonly name: string;
    readonly op: string;
    readonly startedAt: number;
    endedAt?: number;
    failed?: boolean;
}

/** A step's progress line: what a terminal keeps, and what a log gets for each start and end. */
export type Entry = { readonly kind: "start" | "end"; readonly step: Step };

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** The line a log gets for a step's start or end; the dev loop's e2e reads it (tests/support/dev-loop.ts). */
export function stepLine(entry: Entry): string {
    const { name, op, startedAt, endedAt, failed } = entry.step;
    if (entry.kind === "start") {
        return `  ${name} ${op}: started`;
    }
    const took = seconds((endedAt ?? startedAt) - startedAt);
    return failed ? `  ${name} ${op}: failed after ${took} s` : `  ${name} ${op}: done in ${took} s`;
}

/**
 * Whether a step is shown. The Stack, the providers and the components carry no provider: their
 * steps are bookkeeping, or last as long as their children's. `same` does nothing, and
 * `replace` only marks the switch between a replacement's create and its delete.
 */
function shown(metadata: StepMetadata): boolean {
    return metadata.provider !== "" && !["same", "replace", "read", "refresh"].includes(metadata.op);
}

/** One update's progress: feed it the engine's events, tick it every so often, finish it before the summary line. */
export class UpdateProgress {
    private readonly startedAt: number;
    private readonly graceMs: number;
    private readonly steps = new Map<string, Step>();
    private readonly entries: Entry[] = [];
    private printed = 0;
    private drawn = false;
    private finished = false;

    constructor(private readonly options: ProgressOptions) {
        this.startedAt = options.now();
        this.graceMs = options.graceMs ?? 2000;
    }

    event(event: StepEvent): void {
        const started = event.resourcePreEvent?.metadata;
        const ended = event.resOutputsEvent?.metadata ?? event.resOpFailedEvent?.metadata;
        if (started && shown(started)) {
            const step: Step = { name: started.urn.split("::").pop() ?? started.urn, op: started.op, startedAt: this.options.now() };
            this.steps.set(`${started.urn} ${started.op}`, step);
            this.entries.push({ kind: "start", step });
        }
        // A step whose start the events missed has no duration to tell: it is left out.
        const step = ended && this.steps.get(`${ended.urn} ${ended.op}`);
        if (step && step.endedAt === undefined) {
            step.endedAt = this.options.now();
            step.failed = event.resOpFailedEvent !== undefined;
            this.entries.push({ kind: "end", step });
        }
        this.show();
    }

    /** Brings the output up to now: past the grace, what happened so far; on a terminal, the running steps' seconds. */
    tick(): void {
        this.show();
    }

    /** A line of other output (the pods' logs) while the update runs: above the updating line, never through it. */
    print(line: string): void {
        this.clear();
        this.options.write(`${line}\n`);
        this.show();
    }

    /** Before the update's summary line: a terminal's updating line is cleared, so the summary is the line that stays. */
    finish(): void {
        this.clear();
        this.finished = true;
    }

    private show(): void {
        if (this.finished || this.options.now() - this.startedAt < this.graceMs) {
            return;
        }
        const fresh = this.entries.slice(this.printed);
        this.printed = this.entries.length;
        // A terminal keeps a failed step's line; every other start and end shows on the updating line.
        const kept = this.options.tty ? fresh.filter((entry) => entry.step.failed === true && entry.kind === "end") : fresh;
        if (kept.length > 0) {
            this.clear();
            this.options.write(kept.map((entry) => `${stepLine(entry)}\n`).join(""));
        }
        if (this.options.tty) {
            const line = this.updatingLine();
            const width = (this.options.columns ?? 80) - 1;
            this.options.write(`\r\x1b[K${line.length > width ? line.slice(0, width) : line}`);
            this.drawn = true;
        }
    }

    /** The steps under way with their seconds so far; with none, the last one that ended. */
    private updatingLine(): string {
        const now = this.options.now();
        const running = [...this.steps.values()].filter((step) => step.endedAt === undefined);
        const last = this.entries.at(-1);
        const what = running.length > 0
            ? running.map((step) => `${step.name} ${step.op} (${Math.floor((now - step.startedAt) / 1000)} s)`).join(", ")
            : last ? stepLine(last).trim() : "no step started yet";
        return `  updating, ${Math.floor((now - this.startedAt) / 1000)} s: ${what}`;
    }

    private clear(): void {
        if (this.drawn) {
            this.options.write("\r\x1b[K");
            this.drawn = false;
        }
    }
}
