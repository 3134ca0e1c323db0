/**
 * `mailops import`'s core against its promise: the files it writes declare exactly what it read.
 * Each case turns live resources into files (importFiles), writes them to a scratch folder, reads
 * that folder as a repository (config/load.ts, the reader every command uses) and makes its
 * desired resources (plan/desired.ts): every resource imported must come back with the same
 * normalized spec (what the plan compares), and the templates' parts byte for byte. The cases are
 * the example repository as applied, and random resources over all that mailops.yaml can say,
 * with YAML-hostile text (quotes, `: `, `#`, braces, unicode, line breaks).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { validateProject } from "../../src/commands/validate.js";
import { loadProject } from "../../src/config/load.js";
import { type ImportInput, importFiles, SECTIONS } from "../../src/import/index.js";
import { desiredResources, fillAccount, topicPolicy, withAccount } from "../../src/plan/desired.js";
import { KIND_INFO } from "../../src/plan/kinds.js";
import {
  canonicalJson,
  type Json,
  type LiveResource,
  OWNER_TAG,
  resourceKey,
} from "../../src/plan/resource.js";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const PROJECT = "acme-marketing";
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SETTINGS = { project: PROJECT, state: ".mailops/state", from: "Acme <news@example.com>" };

function input(live: LiveResource[], extra: Partial<ImportInput> = {}): ImportInput {
  return {
    target: "aws",
    region: REGION,
    account: ACCOUNT,
    settings: SETTINGS,
    sections: [...SECTIONS],
    withSettings: true,
    live,
    ...extra,
  };
}

/** The files written to a scratch folder, read back as a repository: its desired resources. */
function readBack(files: { path: string; text: string }[]) {
  const dir = mkdtempSync(path.join(tmpdir(), "mailops-import-rt-"));
  dirs.push(dir);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.text);
  }
  const loaded = loadProject(dir);
  return { dir, loaded, desired: withAccount(desiredResources(loaded.value), ACCOUNT) };
}

const normal = (r: { kind: LiveResource["kind"]; spec: LiveResource["spec"] }) =>
  canonicalJson(KIND_INFO[r.kind].normalize(r.spec));

/** Every live resource imported comes back as a desired one with the same normalized spec. */
function expectRoundTrip(live: LiveResource[]) {
  const result = importFiles(input(live));
  expect(result.notImported).toEqual([]);
  const { loaded, desired } = readBack(result.files);
  expect(loaded.findings.filter((f) => f.severity === "error")).toEqual([]);
  expect(desired.map(resourceKey).sort()).toEqual(live.map(resourceKey).sort());
  const byKey = new Map(desired.map((d) => [resourceKey(d), d]));
  for (const r of live) {
    const d = byKey.get(resourceKey(r));
    expect(d?.adopt, resourceKey(r)).toBe(true);
    expect(d && normal(d), resourceKey(r)).toBe(normal(r));
  }
  for (const t of live.filter((r) => r.kind === "template")) {
    const parts = loaded.value.templates.get(t.name)?.parts;
    expect(parts?.subject?.source, t.name).toBe(t.spec.subject);
    expect(parts?.html?.source ?? "", t.name).toBe(t.spec.html);
    expect(parts?.text?.source ?? "", t.name).toBe(t.spec.text);
  }
  return result;
}

const owned = (r: Omit<LiveResource, "tags">): LiveResource => ({ ...r, tags: { [OWNER_TAG]: PROJECT } });

describe("the example repository, as applied", () => {
  it("comes back as the same resources, templates byte for byte, and validates", () => {
    const example = validateProject(process.cwd()).project;
    const live = withAccount(desiredResources(example), ACCOUNT).map(({ adopt: _, ...r }) => owned(r));
    const result = expectRoundTrip(live);
    const { dir } = readBack(result.files);
    expect(validateProject(dir).errors).toBe(0);
    expect(result.files.map((f) => f.path).sort()).toEqual([
      "dashboards/email-marketing.json",
      "mailops.yaml",
      // spring-sale's variant templates are SES templates like any other: they come back as files.
      "templates/product-promotion--deadline.html",
      "templates/product-promotion--deadline.txt",
      "templates/product-promotion--deadline.yaml",
      "templates/product-promotion--offer.html",
      "templates/product-promotion--offer.txt",
      "templates/product-promotion--offer.yaml",
      "templates/product-promotion.html",
      "templates/product-promotion.txt",
      "templates/product-promotion.yaml",
      "templates/welcome-campaign.html",
      "templates/welcome-campaign.txt",
      "templates/welcome-campaign.yaml",
    ]);
  });
});

/** mulberry32: the same cases on every run, for a seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;
  const bool = () => next() < 0.5;
  const subset = <T>(xs: readonly T[], min = 0): T[] => {
    const out = xs.filter(() => bool());
    return out.length >= min ? out : xs.slice(0, min);
  };
  const PIECES = [
    "a",
    "Z",
    "9",
    " ",
    ": ",
    " #",
    "'",
    '"',
    "\\",
    "-",
    "?",
    "*",
    "&",
    "!",
    "%",
    "@",
    "`",
    "é",
    "✓",
    "😀",
    "[x]",
    "{{name}}",
    "|",
    ">",
    "\t",
    "null",
    "true",
    "0.5",
    "~",
  ];
  /** Text YAML must quote in every way; `lines` lets it hold line breaks. */
  const text = (lines = false) => {
    let s = "";
    for (let i = int(0, 8); i > 0; i--) s += lines && next() < 0.1 ? pick(["\n", "\r\n"]) : pick(PIECES);
    return s;
  };
  const name = (prefix: string) => `${prefix}${int(0, 9999)}${pick(["", "-x", "_y"])}`;
  return { int, pick, bool, subset, text, name, next };
}

type Rand = ReturnType<typeof random>;
const EVENT_TYPES = [
  "SEND",
  "REJECT",
  "BOUNCE",
  "COMPLAINT",
  "DELIVERY",
  "OPEN",
  "CLICK",
  "RENDERING_FAILURE",
  "DELIVERY_DELAY",
  "SUBSCRIPTION",
];

function randomDestination(r: Rand, set: string, topics: LiveResource[]): LiveResource {
  const kind = r.pick(["cloudwatch", "sns-own", "sns-arn", "eventbridge"] as const);
  const dname = r.name("d");
  const spec: Record<string, Json> = {
    enabled: r.bool(),
    types: r.subset(EVENT_TYPES, 1),
    cloudwatch: null,
    sns: null,
    eventbridge: null,
  };
  if (kind === "cloudwatch") {
    spec.cloudwatch = {
      dimensions: Array.from({ length: r.int(1, 3) }, (_, i) => ({
        name: `dim${i}${r.pick(["", "-a", "_b"])}`,
        source: r.pick(["MESSAGE_TAG", "EMAIL_HEADER", "LINK_TAG"]),
        default: r.text(),
      })),
    };
  } else if (kind === "sns-own") {
    // A topic mailops made for this set alone: its policy names exactly this set.
    const topic = r.name("topic");
    spec.sns = { topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${topic}` };
    const policy = fillAccount(topicPolicy({ region: REGION }, topic, [set]), ACCOUNT);
    topics.push(owned({ kind: "sns-topic", name: topic, spec: { policy } }));
  } else if (kind === "sns-arn") {
    spec.sns = { topicArn: `arn:aws:sns:${REGION}:999999999999:${r.name("theirs")}` };
  } else {
    spec.eventbridge = {
      eventBusArn: r.bool() ? `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` : null,
    };
  }
  return { kind: "event-destination", name: `${set}/${dname}`, spec, tags: {} };
}

function randomSettings(r: Rand): LiveResource[] {
  const out: LiveResource[] = [];
  const topics: LiveResource[] = [];
  const sets = Array.from({ length: r.int(0, 3) }, () => r.name("set"));
  for (const set of new Set(sets)) {
    out.push(
      owned({
        kind: "configuration-set",
        name: set,
        spec: {
          tls: r.pick(["require", "optional"]),
          reputationMetrics: r.bool(),
          sendingEnabled: r.bool(),
          suppress: r.subset(["BOUNCE", "COMPLAINT"]),
          tracking: r.bool()
            ? {
                customRedirectDomain: "click.example.com",
                httpsPolicy: r.pick(["REQUIRE", "REQUIRE_OPEN_ONLY", "OPTIONAL"]),
              }
            : null,
        },
      }),
    );
    const names = new Set<string>();
    for (let i = r.int(0, 3); i > 0; i--) {
      const d = randomDestination(r, set, topics);
      if (!names.has(d.name)) out.push(d);
      names.add(d.name);
    }
  }
  out.push(...topics);
  if (r.bool()) {
    const topicNames = [...new Set(Array.from({ length: r.int(0, 5) }, () => r.name("t")))];
    out.push(
      owned({
        kind: "contact-list",
        name: r.name("list"),
        spec: {
          description: r.bool() ? `Opt-outs for ${PROJECT}` : r.text(true),
          topics: topicNames.map((name) => ({ name, displayName: r.text(), defaultStatus: "OPT_IN" })),
        },
      }),
    );
  }
  for (let i = r.int(0, 3); i > 0; i--) {
    const domain = `${r.name("d")}.example.com`;
    const address = r.bool();
    out.push(
      owned({
        kind: "identity",
        name: address ? `news@${domain}` : domain,
        spec: {
          type: address ? "address" : "domain",
          dkim: address
            ? null
            : r.pick<Json>([
                { signing: false },
                { signing: true, keyLength: r.pick(["RSA_2048_BIT", "RSA_1024_BIT"]), origin: "AWS_SES" },
              ]),
          mailFrom: r.bool()
            ? { domain: `mail.${domain}`, onMxFailure: r.pick(["USE_DEFAULT_VALUE", "REJECT_MESSAGE"]) }
            : null,
          configurationSet: sets.length && r.bool() ? r.pick(sets) : null,
        },
      }),
    );
  }
  return out;
}

function randomAlarmsAndTemplates(r: Rand): LiveResource[] {
  const out: LiveResource[] = [];
  for (let i = r.int(0, 3); i > 0; i--) {
    const evaluationPeriods = r.int(1, 5);
    const metric = r.pick(["Reputation.BounceRate", "Reputation.ComplaintRate"]);
    const threshold = Number((r.next() * (r.bool() ? 1 : 0.01)).toFixed(r.int(1, 6)));
    out.push(
      owned({
        kind: "alarm",
        name: `${PROJECT}-${r.name("alarm")}`,
        spec: {
          namespace: "AWS/SES",
          metric,
          statistic: "Average",
          comparison: "GreaterThanThreshold",
          threshold,
          period: r.pick([60, 300, 900, 3600, 86400, 10, 30, 7200]),
          evaluationPeriods,
          datapointsToAlarm: evaluationPeriods,
          treatMissingData: "ignore",
          dimensions: r.bool() ? [{ name: "ses:configuration-set", value: r.name("set") }] : [],
          actions: r.subset([
            `arn:aws:sns:${REGION}:${ACCOUNT}:pager`,
            `arn:aws:sns:${REGION}:${ACCOUNT}:alarms`,
          ]),
          description: r.bool()
            ? r.text(true)
            : `${metric === "Reputation.BounceRate" ? "bounce rate" : "complaint rate"} above ${threshold} (mailops project ${PROJECT})`,
        },
      }),
    );
  }
  if (r.bool()) {
    const widgets = [
      {
        type: "metric",
        x: 0,
        y: 0,
        width: 12,
        height: 6,
        properties: { title: r.text(), metrics: [["AWS/SES", "Send"]], region: REGION },
      },
    ];
    out.push({
      kind: "dashboard",
      name: r.name("dash"),
      spec: { body: JSON.stringify({ widgets, start: "-PT6H" }) },
      tags: {},
    });
  }
  for (let i = r.int(0, 4); i > 0; i--) {
    const html = r.bool() ? `<p>${r.text(true)}</p>\n` : "";
    out.push(
      owned({
        kind: "template",
        name: r.name("tpl"),
        spec: { subject: r.text(), html, text: html && r.bool() ? "" : `${r.text(true)}\n` },
      }),
    );
  }
  // Names drawn twice are one resource.
  return [...new Map(out.map((x) => [resourceKey(x), x])).values()];
}

const SEEDS = Array.from({ length: 60 }, (_, i) => i + 1);
const casesOf = (seed: number) => {
  const r = random(seed);
  const all = [...randomSettings(r), ...randomAlarmsAndTemplates(r)];
  return [...new Map(all.map((x) => [resourceKey(x), x])).values()];
};

describe("random resources, over all mailops.yaml can say", () => {
  it.each(SEEDS)("seed %i", (seed) => {
    expectRoundTrip(casesOf(seed));
  });

  it("the seeds reach every kind, and topics both by name and by ARN", () => {
    const all = SEEDS.flatMap(casesOf);
    const kinds = new Set(all.map((x) => x.kind));
    expect([...kinds].sort()).toEqual([...Object.keys(KIND_INFO)].sort());
    const arns = all.filter((x) => x.kind === "event-destination").map((x) => JSON.stringify(x.spec.sns));
    expect(arns.some((a) => a.includes(ACCOUNT))).toBe(true);
    expect(arns.some((a) => a.includes("999999999999"))).toBe(true);
    expect(all.filter((x) => x.kind === "template").length).toBeGreaterThan(50);
  });
});
