/** A copy of the example with an A/B campaign over `n` subscribers, and what its local outbox recorded. */
import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { copyExampleRepo, type ExampleRepo } from "./repo.js";

export const AB_SEND_AT = "2026-01-05T09:00:00Z";

/** `test`: the campaign's `test:` line, or none for a plain split. */
export function abRepo(n: number, test?: string, sendAt = AB_SEND_AT): ExampleRepo {
  // The example's mailops.yaml has the CloudWatch destination by variant a test stage needs.
  const repo = copyExampleRepo();
  repo.write(
    "campaigns/ab.yaml",
    `template: product-promotion
to: customers
topic: promotions
configuration_set: marketing
send_at: ${sendAt}
data: { discount: 20, product_name: Smart Watch, product_url: "https://example.com/w", expiry_date: "2026-12-31" }
tags: { campaign: ab }
variants:
  - name: a
    share: 50%
    subject: "A: {{discount}}% off {{product_name}}"
  - name: b
    share: 50%
    data: { product_name: Smart Watch Pro }
${test ?? ""}
`,
  );
  repo.subscribers(
    Array.from({ length: n }, (_, i) => ({ email: `person${i}@example.org`, name: `P ${i}`, segment: "x" })),
  );
  return repo;
}

export interface LoggedEvent {
  at: string;
  campaign: string;
  type: string;
  id?: string;
  run?: string;
  variant?: string;
}

const eventsFile = (dir: string) => path.join(dir, ".mailops/local/events.jsonl");

export function events(dir: string, campaign = "ab"): LoggedEvent[] {
  return readFileSync(eventsFile(dir), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LoggedEvent)
    .filter((e) => e.campaign === campaign);
}

/** Each recipient id's variant, from the send events. */
export function variantById(dir: string): Map<string, string> {
  return new Map(
    events(dir)
      .filter((e) => e.type === "send")
      .map((e) => [e.id as string, e.variant as string]),
  );
}

/** Opens or clicks as SES would publish them: `count` of `type` for `variant`, now. */
export function injectEvents(dir: string, variant: string, type: "open" | "click", count: number): void {
  const at = new Date().toISOString();
  const run = events(dir).find((e) => e.type === "send")?.run;
  const line = `${JSON.stringify({ at, campaign: "ab", type, variant, run })}\n`;
  appendFileSync(eventsFile(dir), line.repeat(count));
}
