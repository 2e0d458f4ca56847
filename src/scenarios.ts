// Named demo scenarios for `cli demo --scenario NAME [--json]`. The registry starts
// empty; scenarios (TCP handshake, bulk transfer, loss recovery, ...) are added here.

export interface ScenarioContext {
  /** Print machine-readable JSON instead of text (one JSON document on stdout). */
  json: boolean;
  /** Seed for every PRNG in the run (deterministic output). */
  seed: number;
  /** Write one line to stdout. */
  out(line: string): void;
}

export interface Scenario {
  /** One line for --help. */
  description: string;
  /** Run the scenario; resolve to the process exit code (0 = success). */
  run(ctx: ScenarioContext): Promise<number> | number;
}

export const scenarios: Record<string, Scenario> = {};
