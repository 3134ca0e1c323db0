/** Writes a synthetic campaign repository of a given size, for benchmarks. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface RepoSize {
  templates: number;
  campaigns: number;
  segments: number;
}

export function generateRepo(root: string, size: RepoSize): number {
  let files = 0;
  const write = (rel: string, text: string) => {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    files++;
  };
  write(
    "mailops.yaml",
    `project: bench
sender:
  from: "Bench <news@example.com>"
  identity: example.com
  postal_address: "Bench Inc, 1 Main St, Springfield"
unsubscribe:
  mode: ses-list
  contact_list: bench
  topics: { promotions: Promotions }
configuration_sets:
  marketing:
    tls: require
    reputation_metrics: true
    suppress: [bounce, complaint]
    events:
      - name: metrics
        types: [send, delivery, bounce, complaint]
        cloudwatch: { dimensions: { campaign: { from: message_tag, default: none } } }
alarms:
  bounce-rate: { metric: bounce_rate, above: 0.05, period: 1h }
`,
  );
  write(
    "subscribers/customers.yaml",
    `source: customers.jsonl
fields:
  email: { type: email, required: true }
  name: { type: string, required: true }
  tier: { type: string, default: basic }
  score: { type: number, default: 0 }
  interests: { type: list, default: [] }
  joined: { type: date }
`,
  );
  write("subscribers/customers.jsonl", '{"email":"a@example.com","name":"A"}\n');
  for (let i = 0; i < size.templates; i++) {
    const dir = `templates/group-${i % 20}`;
    write(
      `${dir}/template-${i}.yaml`,
      `subject: "Offer {{discount}}% on {{product}} for {{name}}"
html: template-${i}.html
text: template-${i}.txt
sample: { name: Sam, discount: 10, product: Widget, items: [{ title: A }] }
`,
    );
    const rows = Array.from(
      { length: 30 },
      (_, r) => `<tr><td>Row ${r} for {{name}}</td><td>{{product}}</td></tr>`,
    ).join("\n");
    write(
      `${dir}/template-${i}.html`,
      `<html lang="en"><body>
<h1>Hello {{name}}</h1>
{{#if tier}}<p>Your tier: {{tier}}</p>{{/if}}
<table>
${rows}
</table>
{{#each items}}<p>{{title}} {{@index}} {{../name}}</p>{{/each}}
<p>{{postal_address}} <a href="{{amazonSESUnsubscribeUrl}}">Unsubscribe</a></p>
</body></html>
`,
    );
    write(
      `${dir}/template-${i}.txt`,
      `Hello {{name}}, {{discount}}% off {{product}}.\n{{postal_address}}\nUnsubscribe: {{amazonSESUnsubscribeUrl}}\n`,
    );
  }
  for (let i = 0; i < size.segments; i++) {
    write(
      `subscribers/segments/segment-${i}.yaml`,
      `from: customers
where:
  all:
    - tier: { in: [gold, silver] }
    - score: { gte: ${i} }
    - any:
        - interests: { contains: topic-${i} }
        - joined: { after: "2025-01-01" }
`,
    );
  }
  for (let i = 0; i < size.campaigns; i++) {
    write(
      `campaigns/campaign-${i}.yaml`,
      `template: template-${i % size.templates}
to: segment-${i % size.segments}
exclude: [segment-${(i + 1) % size.segments}]
topic: promotions
configuration_set: marketing
send_at: 2026-12-01T09:00:00Z
data: { discount: ${i % 50}, product: "Product ${i}", items: [{ title: One }, { title: Two }] }
tags: { campaign: campaign-${i} }
`,
    );
  }
  return files;
}
