/**
 * The audience stream on 1,000,000 subscribers (docs/performance.md: 200,000 subscribers/s or more, peak
 * RSS under 300 MB): parse + type check + segment filter + exclude + dedupe + suppression + render
 * check, next to a bare read-and-JSON.parse loop over the same file as the baseline.
 *
 * Each measurement runs in a fresh child `node` process, so its peak RSS
 * (process.resourceUsage().maxRSS) is that of the stream alone, not of this process, which has
 * generated the file. The child is this same file, bundled on its own with esbuild into dist/
 * (next to node_modules, so its packages resolve), and started with MAILOPS_AUDIENCE_BENCH set.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { audience, openLocal } from "../src/audience/index.js";
import { loadProject } from "../src/config/load.js";
import type {
  Campaign,
  Condition,
  Field,
  Operator,
  Project,
  Segment,
  Source,
  Template,
} from "../src/config/model.js";
import { messageBuilder } from "../src/send/message.js";
import { localSuppression } from "../src/targets/local/suppression.js";
import { KeySet } from "../src/util/key-set.js";
import { bundle, cpuClock, maxRssMb, runChild } from "./child.js";
import type { Figure } from "./measure.js";

const ROWS = 1_000_000;
const RATE_BUDGET = 200_000;
const RSS_BUDGET_MB = 300;
const CHILD_ENV = "MAILOPS_AUDIENCE_BENCH";

type Mode = "audience" | "baseline" | "dedupe-memory";
interface ChildResult {
  ms: number;
  /** CPU time of the child (user + system), less sensitive than wall time to a busy machine. */
  cpuMs: number;
  rows: number;
  selected: number;
  maxRssMb: number;
  /** Memory of the dedupe set (KeySet) and of a Set<string> of the same keys. */
  keySetMb?: number;
  setMb?: number;
  stats?: unknown;
}

export async function benchAudience(): Promise<Figure[]> {
  const root = await mkdtemp(path.join(tmpdir(), "mailops-bench-audience-"));
  try {
    const t0 = performance.now();
    await generate(root, ROWS);
    const generateMs = performance.now() - t0;
    const child = await bundle("bench/audience.bench.ts", "audience-bench-child.js");
    const run = (mode: Mode, file = "customers.jsonl") =>
      runChild<ChildResult>(
        child,
        [mode, root, file],
        { [CHILD_ENV]: "1" },
        `audience bench child (${mode})`,
      );
    // Median of 3 fresh processes for the budgeted figures; the rest once.
    const median = (mode: Mode): ChildResult => {
      const runs = [run(mode), run(mode), run(mode)].sort((a, b) => a.ms - b.ms);
      return runs[1] as ChildResult;
    };
    const a = median("audience");
    const b = median("baseline");
    const gz = run("audience", "customers.jsonl.gz");
    const dedupe = run("dedupe-memory");
    const rate = (r: ChildResult) => (r.rows / r.ms) * 1000;
    const fmtRate = (r: ChildResult) => `${Math.round(rate(r)).toLocaleString("en-US")}/s`;
    const mb = (n: number | undefined) => `${(n ?? 0).toFixed(0)} MB`;
    return [
      { name: `generate ${ROWS.toLocaleString("en-US")} JSONL rows (setup)`, ms: generateMs },
      { name: `audience, ${a.selected.toLocaleString("en-US")} selected (median of 3)`, ms: a.ms },
      {
        name: "audience throughput (subscribers read/s)",
        value: fmtRate(a),
        ok: rate(a) >= RATE_BUDGET,
        budget: `>= ${RATE_BUDGET.toLocaleString("en-US")}/s`,
      },
      {
        name: "audience peak RSS (child process)",
        value: mb(a.maxRssMb),
        ok: a.maxRssMb <= RSS_BUDGET_MB,
        budget: `<= ${RSS_BUDGET_MB} MB`,
      },
      // CPU includes the garbage collector's helper threads; less noisy than wall on a busy host.
      { name: "audience CPU time (all threads)", ms: a.cpuMs },
      { name: "audience over .jsonl.gz", value: fmtRate(gz) },
      { name: "audience over .jsonl.gz peak RSS", value: mb(gz.maxRssMb) },
      { name: "baseline: read + JSON.parse per line (median of 3)", ms: b.ms },
      { name: "baseline throughput", value: fmtRate(b) },
      { name: "baseline peak RSS", value: mb(b.maxRssMb) },
      { name: "baseline CPU time (all threads)", ms: b.cpuMs },
      { name: "audience time / baseline time", value: `${(a.ms / b.ms).toFixed(2)}x` },
      { name: `dedupe set at ${ROWS.toLocaleString("en-US")} keys (KeySet)`, value: mb(dedupe.keySetMb) },
      { name: "  a Set<string> of the same keys, for comparison", value: mb(dedupe.setMb) },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** ~6 fields per row, as the budget says; some duplicates, invalid rows and suppressed addresses. */
async function generate(root: string, rows: number): Promise<void> {
  const tiers = ["gold", "silver", "basic", "basic", "churned"];
  const tags = ["fashion", "books", "sports", "home", "electronics"];
  const lines = createWriteStream(path.join(root, "customers.jsonl"));
  const gz = createGzip({ level: 1 });
  const gzDone = pipeline(gz, createWriteStream(path.join(root, "customers.jsonl.gz")));
  let batch: string[] = [];
  const flush = async () => {
    const text = `${batch.join("\n")}\n`;
    batch = [];
    // Each stream's drain is listened for as soon as its write says to wait: one awaited after
    // the other's could have come already, and the generation would wait for ever.
    const drained: Promise<unknown>[] = [];
    if (!lines.write(text)) drained.push(once(lines, "drain"));
    if (!gz.write(text)) drained.push(once(gz, "drain"));
    await Promise.all(drained);
  };
  const subscriber = (i: number) => ({
    email: `user${i}@example${i % 97}.com`,
    name: `Subscriber ${i}`,
    tier: tiers[i % tiers.length],
    score: i % 100,
    signed_up: new Date(Date.UTC(2020, 0, 1) + (i % 1500) * 86_400_000).toISOString().slice(0, 10),
    tags: [tags[i % 5], tags[(i >> 3) % 5]],
  });
  for (let i = 0; i < rows; i++) {
    const row = subscriber(i);
    // 1% repeat an earlier subscriber, with the domain in another case; 0.1% are not addresses.
    if (i % 100 === 99)
      Object.assign(row, subscriber(i - 51), { email: `user${i - 51}@EXAMPLE${(i - 51) % 97}.com` });
    if (i % 1000 === 500) row.email = `not-an-address-${i}`;
    batch.push(JSON.stringify(row));
    if (batch.length === 10_000) await flush();
  }
  if (batch.length > 0) await flush();
  gz.end();
  await Promise.all([new Promise<void>((r) => lines.end(() => r())), gzDone]);
  mkdirSync(path.join(root, ".mailops", "local"), { recursive: true });
  const suppressed = Array.from({ length: 10_000 }, (_, i) => `user${i * 37}@example${(i * 37) % 97}.com`);
  writeFileSync(path.join(root, ".mailops", "local", "suppressed"), `# bench\n${suppressed.join("\n")}\n`);
}

/**
 * The audience of the budget: a segment with nested conditions, an exclude segment, the local
 * suppression list, and the example repository's product-promotion template and settings for
 * the render check.
 */
function benchProject(
  root: string,
  file: string,
): { project: Project; campaign: Campaign; template: Template } {
  const example = loadProject(process.cwd()).value;
  const template = example.templates.get("product-promotion");
  const promo = example.campaigns.get("holiday-promo");
  if (!template || !promo) throw new Error("the example repository lacks product-promotion / holiday-promo");
  const field = (name: string, type: Field["type"], extra: Partial<Field> = {}): [string, Field] => [
    name,
    { name, type, required: false, hasDefault: false, ...extra },
  ];
  const source: Source = {
    name: "customers",
    file: "subscribers/customers.yaml",
    ok: true,
    location: file,
    localPath: file,
    format: "jsonl",
    gzip: file.endsWith(".gz"),
    emailField: "email",
    fields: new Map([
      field("email", "email", { required: true }),
      field("name", "string", { required: true }),
      field("tier", "string", { hasDefault: true, default: "basic" }),
      field("score", "number", { hasDefault: true, default: 0 }),
      field("signed_up", "date"),
      field("tags", "list", { hasDefault: true, default: [] }),
    ]),
  };
  const cond = (field: string, op: Operator, value: unknown): Condition => ({
    kind: "field",
    field,
    tests: [{ op, value }],
    path: [],
  });
  const engaged: Segment = {
    name: "engaged",
    file: "subscribers/segments/engaged.yaml",
    ok: true,
    from: "customers",
    where: {
      kind: "all",
      path: [],
      items: [
        cond("tier", "in", ["gold", "silver", "basic"]),
        cond("score", "gte", 5),
        {
          kind: "any",
          path: [],
          items: [cond("tags", "contains", "fashion"), cond("signed_up", "after", "2020-06-01")],
        },
      ],
    },
  };
  const vip: Segment = {
    name: "vip",
    file: "subscribers/segments/vip.yaml",
    ok: true,
    from: "customers",
    where: { kind: "all", path: [], items: [cond("tier", "eq", "gold"), cond("score", "gte", 90)] },
  };
  const campaign: Campaign = {
    name: "bench",
    file: "campaigns/bench.yaml",
    ok: true,
    to: ["engaged"],
    exclude: ["vip"],
    replyTo: [],
    template: template.name,
    data: promo.data,
    tags: {},
  };
  const project: Project = {
    root,
    settings: example.settings,
    templates: new Map([[template.name, template]]),
    sources: new Map([["customers", source]]),
    segments: new Map([
      ["engaged", engaged],
      ["vip", vip],
    ]),
    campaigns: new Map([["bench", campaign]]),
    fileCount: 0,
  };
  return { project, campaign, template };
}

async function child(mode: Mode, root: string, file: string): Promise<ChildResult> {
  const cpuMs = cpuClock();
  if (mode === "baseline") {
    const start = performance.now();
    const decoder = new TextDecoder();
    let rest = "";
    let rows = 0;
    for await (const chunk of createReadStream(path.join(root, file), { highWaterMark: 1 << 20 })) {
      const s = rest + decoder.decode(chunk as Buffer, { stream: true });
      let from = 0;
      for (let nl = s.indexOf("\n"); nl !== -1; nl = s.indexOf("\n", from)) {
        if (nl > from) {
          JSON.parse(s.slice(from, nl));
          rows++;
        }
        from = nl + 1;
      }
      rest = s.slice(from);
    }
    return { ms: performance.now() - start, cpuMs: cpuMs(), rows, selected: 0, maxRssMb: maxRssMb() };
  }
  if (mode === "dedupe-memory") {
    // The dedupe set at a million keys, and a Set<string> of the same keys for comparison. Keys
    // are made one by one, as the stream makes them, and measured with what they keep alive.
    const gc = (globalThis as { gc?: () => void }).gc;
    const used = () => {
      gc?.();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const key = (i: number) => `user${i}@example${i % 97}.com`;
    let before = used();
    const start = performance.now();
    const keys = new KeySet();
    for (let i = 0; i < ROWS; i++) keys.add(key(i));
    const ms = performance.now() - start;
    const keySetMb = (used() - before) / 2 ** 20;
    before = used();
    const set = new Set<string>();
    for (let i = 0; i < ROWS; i++) set.add(key(i));
    const setMb = (used() - before) / 2 ** 20;
    if (keys.size !== set.size) throw new Error("the sets disagree");
    return {
      ms,
      cpuMs: cpuMs(),
      rows: keys.size,
      selected: 0,
      maxRssMb: maxRssMb(),
      keySetMb,
      setMb,
    };
  }
  const { project, campaign, template } = benchProject(root, file);
  const start = performance.now();
  const suppression = await localSuppression(root);
  const { recipients, stats } = audience(project, campaign, { open: openLocal(root), suppression });
  // The render check: each recipient's complete data, checked against the template's variables.
  const messages = messageBuilder(project, campaign, template, undefined);
  let n = 0;
  let ready = 0;
  for await (const r of recipients) {
    n++;
    if (messages.prepare(r).ok) ready++;
  }
  const ms = performance.now() - start;
  if (n !== stats.selected) throw new Error(`yielded ${n}, stats say ${stats.selected}`);
  if (ready !== n) throw new Error(`${n - ready} recipients failed the render check`);
  return { ms, cpuMs: cpuMs(), rows: stats.read, selected: n, maxRssMb: maxRssMb(), stats };
}

if (process.env[CHILD_ENV] === "1") {
  const [mode, root, file] = process.argv.slice(2) as [Mode, string, string];
  process.stdout.write(JSON.stringify(await child(mode, root, file)));
}
