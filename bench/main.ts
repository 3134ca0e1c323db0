/** `npm run bench`: runs every benchmark, prints figures against their budgets, exits 1 if one is over. */
import { benchAudience } from "./audience.bench.js";
import { benchForecast } from "./forecast.bench.js";
import type { Figure } from "./measure.js";
import { benchOutbox } from "./outbox.bench.js";
import { benchPlan } from "./plan.bench.js";
import { benchPostgres } from "./postgres.bench.js";
import { benchSend } from "./send.bench.js";
import { benchSendMemory } from "./send-memory.bench.js";
import { benchValidate } from "./validate.bench.js";

const suites: [string, () => Promise<Figure[]>][] = [
  ["validate", benchValidate],
  ["audience", benchAudience],
  ["forecast", benchForecast],
  ["plan", benchPlan],
  ["send", benchSend],
  ["send-memory", benchSendMemory],
  ["outbox", benchOutbox],
  ["postgres", benchPostgres],
];

// `npm run bench -- validate send` runs only the named suites.
const only = process.argv.slice(2);
let over = 0;
for (const [name, run] of suites.filter(([n]) => only.length === 0 || only.includes(n))) {
  process.stdout.write(`\n${name}\n`);
  for (const f of await run()) {
    const figure = f.ms !== undefined ? `${f.ms.toFixed(1)} ms` : (f.value ?? "");
    let verdict = "";
    if (f.budgetMs !== undefined) {
      const ok = (f.ms ?? Number.POSITIVE_INFINITY) <= f.budgetMs;
      if (!ok) over++;
      verdict = `${ok ? "ok  " : "OVER"} budget ${f.budgetMs} ms`;
    } else if (f.ok !== undefined) {
      if (!f.ok) over++;
      verdict = `${f.ok ? "ok  " : "OVER"} budget ${f.budget ?? ""}`;
    }
    process.stdout.write(`  ${f.name.padEnd(52)} ${figure.padStart(14)}  ${verdict}\n`);
  }
}
process.stdout.write(over ? `\n${over} figure(s) over budget\n` : "\nall figures within budget\n");
process.exitCode = over ? 1 : 0;
