/**
 * What data may contain where the template writes it, end to end on the local target: a copy of
 * the example repository, unsafe values in subscriber rows and campaign data, and the outbox.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runApply } from "../../src/cli/apply.js";
import { runSend } from "../../src/cli/send.js";
import { runValidate } from "../../src/cli/validate.js";
import { captureIo, copyExampleRepo } from "../support/repo.js";

let repo: ReturnType<typeof copyExampleRepo>;
beforeEach(() => {
  repo = copyExampleRepo();
});
afterEach(() => repo.cleanup());

const newCustomer = (email: string, name: string, extra: object = {}) => ({
  email,
  name,
  segment: "new_customers",
  preferences: [],
  ...extra,
});
const loyalCustomer = (email: string, extra: object = {}) => ({
  email,
  name: "Pat",
  segment: "loyal_customers",
  preferences: ["fashion"],
  ...extra,
});

/** The outbox of a campaign: each message's To and its whole text, soft line breaks undone. */
function outbox(campaign: string): { to: string; text: string }[] {
  const dir = path.join(repo.dir, ".mailops/outbox", campaign);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => {
      const text = readFileSync(path.join(dir, f), "utf8").replace(/=\r?\n/g, "");
      return { to: /^To: (.*)$/m.exec(text)?.[1] ?? "", text };
    })
    .sort((a, b) => a.to.localeCompare(b.to));
}

async function applyAndSend(args: Record<string, unknown>) {
  expect(await runApply({ dir: repo.dir, target: "local" }, captureIo())).toBe(0);
  const io = captureIo();
  const code = await runSend({ dir: repo.dir, target: "local", ...args }, io);
  return { code, out: io.outText, err: io.errText };
}

function validate(): { code: number; out: string } {
  let out = "";
  const code = runValidate({ dir: repo.dir, format: "text" }, (s) => {
    out += s;
  });
  return { code, out };
}

describe("values checked where the template writes them, on the local target", () => {
  it("a subscriber's markup is refused even where the campaign's data has the same name", async () => {
    repo.write(
      "campaigns/welcome-new-customers.yaml",
      `${repo.read("campaigns/welcome-new-customers.yaml")}data:\n  name: Friend\n`,
    );
    repo.subscribers([
      newCustomer("a@example.com", "Ann"),
      newCustomer("b@example.com", '<a href="https://evil.example">click</a>'),
      newCustomer("c@example.com", "Cy"),
    ]);
    const r = await applyAndSend({ campaign: "welcome-new-customers" });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("skipped: 1 unsafe value in field name (html text)");
    expect(r.out).toContain("sent 2, failed 0");
    const mail = outbox("welcome-new-customers");
    expect(mail.map((m) => m.to)).toEqual(["a@example.com", "c@example.com"]);
    for (const m of mail) expect(m.text).not.toContain("evil.example");
    expect(r.out + r.err).not.toContain("evil.example");
    expect(r.out + r.err).not.toContain("b@example.com");
  });

  it("a quote that would add attributes is refused; an apostrophe in a double-quoted attribute is not", async () => {
    repo.write(
      "templates/welcome-campaign.html",
      repo
        .read("templates/welcome-campaign.html")
        .replace(
          "<h2>Welcome {{name}}!</h2>",
          '<h2>Welcome {{name}}!</h2>\n    <img src="https://example.com/logo.png" alt="{{name}}">',
        ),
    );
    repo.subscribers([
      newCustomer("a@example.com", "Ann O'Brien"),
      newCustomer("b@example.com", 'x" style="position:fixed;top:0;left:0'),
    ]);
    const r = await applyAndSend({ campaign: "welcome-new-customers" });
    expect(r.out).toContain("skipped: 1 unsafe value in field name (html attribute)");
    const mail = outbox("welcome-new-customers");
    expect(mail.map((m) => m.to)).toEqual(["a@example.com"]);
    expect(mail[0]?.text).toContain("Ann O'Brien");
    for (const m of mail) expect(m.text).not.toContain("position:fixed");
  });

  it("a javascript: URL from a subscriber is refused where it starts an href; an https one overrides the campaign's", async () => {
    repo.write(
      "subscribers/customers.yaml",
      `${repo.read("subscribers/customers.yaml")}  product_url: { type: string }\n`,
    );
    repo.subscribers([
      loyalCustomer("a@example.com", { product_url: "javascript:alert(1)" }),
      loyalCustomer("b@example.com", { product_url: "https://example.com/for-b" }),
      loyalCustomer("c@example.com", { product_url: " JavaScript:alert(document.domain)" }),
      loyalCustomer("d@example.com"),
    ]);
    const r = await applyAndSend({ due: true, now: "2026-12-01T10:00:00Z" });
    expect(r.out).toContain("holiday-promo: sent");
    expect(r.out).toContain("skipped: 2 unsafe value in field product_url (url)");
    const mail = outbox("holiday-promo");
    expect(mail.map((m) => m.to)).toEqual(["b@example.com", "d@example.com"]);
    expect(mail[0]?.text).toContain("https://example.com/for-b");
    expect(mail[1]?.text).toContain("https://example.com/smartwatch");
    for (const m of mail) expect(m.text.toLowerCase()).not.toContain("javascript:");
  });

  it("a javascript: URL in the campaign's data is a validate error at its line, and nothing is sent", async () => {
    repo.write(
      "campaigns/holiday-promo.yaml",
      repo
        .read("campaigns/holiday-promo.yaml")
        .replace('product_url: "https://example.com/smartwatch"', 'product_url: "javascript:alert(1)"'),
    );
    const v = validate();
    expect(v.code).toBe(1);
    expect(v.out).toContain(
      "campaigns/holiday-promo.yaml:11:16 error campaign/unsafe-data `data.product_url` is written as the start of a link or image URL (templates/product-promotion.html:7:16)",
    );
    const r = await runSend(
      { dir: repo.dir, target: "local", due: true, now: "2026-12-01T10:00:00Z" },
      captureIo(),
    ).catch((e: Error) => e);
    expect(r).toBeInstanceOf(Error);
    expect(outbox("holiday-promo")).toEqual([]);
  });

  it("names reaching the object prototype: refused by validate, and `toString` is an ordinary, missing name", () => {
    repo.write(
      "templates/welcome-campaign.txt",
      repo
        .read("templates/welcome-campaign.txt")
        .replace("Welcome {{name}}!", "Welcome {{name}}! {{constructor}} {{toString}}"),
    );
    repo.write(
      "campaigns/welcome-new-customers.yaml",
      `${repo.read("campaigns/welcome-new-customers.yaml")}data:\n  prototype: x\n`,
    );
    repo.write(
      "subscribers/customers.yaml",
      `${repo.read("subscribers/customers.yaml")}  __proto__: { type: string }\n`,
    );
    const v = validate();
    expect(v.code).toBe(1);
    expect(v.out).toContain(
      "templates/welcome-campaign.txt:1:19 error template/reserved-variable `{{constructor}}` uses `constructor`",
    );
    expect(v.out).toContain(
      "templates/welcome-campaign.txt:1:35 error campaign/unprovided-variable `{{toString}}`",
    );
    expect(v.out).toContain(
      "campaigns/welcome-new-customers.yaml:10:3 error campaign/reserved-key `data.prototype`",
    );
    expect(v.out).toContain("subscribers/customers.yaml:11:3 error source/reserved-field `__proto__`");
  });
});
