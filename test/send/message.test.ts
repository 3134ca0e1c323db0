import { describe, expect, it } from "vitest";
import { loadProject } from "../../src/config/load.js";
import type { PartName, Template } from "../../src/config/model.js";
import { MailopsError } from "../../src/errors.js";
import { analyzeTemplate } from "../../src/render/analyze.js";
import { messageBuilder } from "../../src/send/message.js";

const SECRET = "a-test-signing-secret-of-32-bytes-or-more";

const project = loadProject(process.cwd()).value;
const campaign = project.campaigns.get("holiday-promo");
const template = project.templates.get("product-promotion");
if (!campaign || !template) throw new Error("the example repository changed");

const recipient = (fields: Record<string, unknown>) => ({
  address: "a@example.com",
  key: "a@example.com",
  fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown>,
});

describe("messageBuilder", () => {
  it("gives each recipient the campaign data, built-ins and their own fields", () => {
    const messages = messageBuilder(project, campaign, template, undefined);
    const r = messages.prepare(recipient({ email: "a@example.com", name: "Ann", discount: 99 }));
    expect(r).toEqual({
      ok: true,
      headers: [],
      data: {
        ...campaign.data,
        postal_address: project.settings.sender.postalAddress,
        email: "a@example.com",
        name: "Ann",
        discount: 99, // a subscriber field wins over campaign data of the same name
      },
    });
  });

  it("skips a recipient lacking a variable, and one with markup in a used field", () => {
    const messages = messageBuilder(project, campaign, template, undefined);
    expect(messages.prepare(recipient({ email: "a@example.com" }))).toEqual({
      ok: false,
      reason: "missing variable name",
    });
    expect(messages.prepare(recipient({ email: "a@example.com", name: "<b>Ann</b>" }))).toEqual({
      ok: false,
      reason: "unsafe value in field name (html text)",
    });
  });

  it("refuses campaign data with a __proto__ key rather than letting it reach the prototype", () => {
    const data = JSON.parse('{"__proto__": {"name": "x"}, "discount": 1}') as Record<string, unknown>;
    expect(() => messageBuilder(project, { ...campaign, data }, template, undefined)).toThrow(MailopsError);
  });

  it("refuses a recipient whose value breaks the rule where the template writes it, naming the field, never the value", () => {
    const messages = messageBuilder(project, campaign, template, undefined);
    const reason = (fields: Record<string, unknown>) => {
      const r = messages.prepare(recipient({ email: "a@example.com", name: "Ann", ...fields }));
      return r.ok ? "ok" : r.reason;
    };
    // The campaign's data has product_url; the subscriber's value wins the merge, and is the one checked.
    expect(reason({ product_url: "javascript:alert(1)" })).toBe("unsafe value in field product_url (url)");
    expect(reason({ product_url: " JaVaScRiPt:alert(1)" })).toBe("unsafe value in field product_url (url)");
    expect(reason({ product_url: "https://example.com/other" })).toBe("ok");
    expect(reason({ product_name: "Watch\r\nBcc: x@example.com" })).toBe(
      "unsafe value in field product_name (subject)",
    );
    expect(reason({ name: "O'Brien & <Sons>" })).toBe("unsafe value in field name (html text)");
    expect(reason({ name: "O'Brien & Sons" })).toBe("ok");
  });

  it("checks campaign data once: recipients without their own value are refused, those with one are not", () => {
    const data = { ...campaign.data, product_url: "javascript:alert(1)" };
    const messages = messageBuilder(project, { ...campaign, data }, template, undefined);
    expect(messages.prepare(recipient({ email: "a@example.com", name: "Ann" }))).toEqual({
      ok: false,
      reason: "unsafe value in campaign data product_url (url)",
    });
    expect(
      messages.prepare(
        recipient({ email: "a@example.com", name: "Ann", product_url: "https://example.com/x" }),
      ).ok,
    ).toBe(true);
  });

  it("checks a subscriber value that shadows campaign data of the same name", () => {
    const data = { ...campaign.data, name: "Friend" };
    const messages = messageBuilder(project, { ...campaign, data }, template, undefined);
    expect(
      messages.prepare(
        recipient({ email: "a@example.com", name: '<a href="https://evil.example">click</a>' }),
      ),
    ).toEqual({
      ok: false,
      reason: "unsafe value in field name (html text)",
    });
  });

  it("checks a value inside a double-quoted attribute against its quote only", () => {
    const t = templateOf({
      subject: "Hi",
      html: '<img alt="{{name}}" src="https://example.com/a.png"><a href="{{amazonSESUnsubscribeUrl}}">x</a>',
    });
    const messages = messageBuilder(project, campaign, t, undefined);
    expect(messages.prepare(recipient({ email: "a@example.com", name: "O'Brien" })).ok).toBe(true);
    expect(messages.prepare(recipient({ email: "a@example.com", name: 'x" style="position:fixed' }))).toEqual(
      {
        ok: false,
        reason: "unsafe value in field name (html attribute)",
      },
    );
  });

  it("looks variables up as own properties: {{toString}} is missing unless the data has it", () => {
    const t = templateOf({ subject: "Hi {{toString}}", text: "x {{amazonSESUnsubscribeUrl}}" });
    const messages = messageBuilder(project, campaign, t, undefined);
    expect(messages.prepare(recipient({ email: "a@example.com" }))).toEqual({
      ok: false,
      reason: "missing variable toString",
    });
    expect(messages.prepare(recipient({ email: "a@example.com", toString: "x" })).ok).toBe(true);
  });
});

describe("messageBuilder: built-ins are checked like any value", () => {
  const linkProject = (url: string, postal: string) => ({
    ...project,
    settings: {
      ...project.settings,
      sender: { ...project.settings.sender, postalAddress: postal },
      unsubscribe: { ...project.settings.unsubscribe, mode: "link" as const, url },
    },
  });
  const t = templateOf({
    subject: "Hi",
    html: '<p>{{postal_address}}</p><a href="{{unsubscribe_url}}">Unsubscribe</a>',
  });
  const one = () => recipient({ email: "a@example.com" });

  it("the link-mode unsubscribe URL, which no subscriber field overrides", () => {
    const bad = messageBuilder(linkProject("javascript:alert(1)//", "1 Main St"), campaign, t, SECRET);
    expect(bad.prepare(one())).toEqual({ ok: false, reason: "unsafe value in unsubscribe_url (url)" });
    const good = messageBuilder(linkProject("https://example.com/u", "1 Main St"), campaign, t, SECRET);
    expect(good.prepare(recipient({ email: "a@example.com", unsubscribe_url: "javascript:x" })).ok).toBe(
      true,
    );
  });

  it("postal_address from the settings", () => {
    const messages = messageBuilder(
      linkProject("https://example.com/u", "<b>1 Main St</b>"),
      campaign,
      t,
      SECRET,
    );
    expect(messages.prepare(one())).toEqual({
      ok: false,
      reason: "unsafe value in setting postal_address (html text)",
    });
  });

  it("every value in the data, when the template walks the data itself", () => {
    const all = templateOf({
      subject: "Hi",
      html: "{{#each this}}<i>{{this}}</i>{{/each}}{{amazonSESUnsubscribeUrl}}",
    });
    const messages = messageBuilder(project, campaign, all, undefined);
    expect(messages.prepare(recipient({ email: "a@example.com", name: "Ann" })).ok).toBe(true);
    expect(messages.prepare(recipient({ email: "a@example.com", name: "<b>Ann</b>" }))).toEqual({
      ok: false,
      reason: "unsafe value in name (html text)",
    });
  });
});

function templateOf(parts: Partial<Record<PartName, string>>): Template {
  return {
    name: "t",
    file: "templates/t.yaml",
    ok: true,
    adopt: false,
    parts: Object.fromEntries(
      Object.entries(parts).map(([part, source]) => [
        part,
        {
          part: part as PartName,
          source,
          file: "templates/t.yaml",
          locate: (line: number, col: number) => ({ line, col }),
          analysis: analyzeTemplate(source, "auto", part as PartName),
        },
      ]),
    ),
  };
}

describe("skipReason: prepare()'s verdict without building the data", () => {
  const nested = templateOf({
    subject: "Hi {{name}}",
    html: '<p>{{user.first}} {{#if vip}}{{vip}}{{/if}}</p><a href="{{product_url}}">x</a><a href="{{amazonSESUnsubscribeUrl}}">u</a>',
    text: "{{user.first}} {{postal_address}}",
  });
  const walks = templateOf({ subject: "Hi", html: "{{#each this}}<i>{{this}}</i>{{/each}}" });
  // Names every object inherits, which a row need not have of its own.
  const inherited = templateOf({
    subject: "Hi {{toString}}",
    html: "<p>{{constructor}} {{name}}</p>",
    text: "{{valueOf}}",
  });
  const datas: Record<string, unknown>[] = [
    campaign.data,
    { ...campaign.data, name: "Friend", user: { first: "Friend" } },
    { ...campaign.data, user: null, product_url: "javascript:alert(1)" },
    { ...campaign.data, user: { first: null } },
  ];
  const fieldsOf: Record<string, unknown>[] = [
    { email: "a@example.com" },
    { email: "a@example.com", name: "Ann" },
    { email: "a@example.com", name: null },
    { email: "a@example.com", name: "<b>Ann</b>" },
    { email: "a@example.com", name: "Ann", user: { first: "Ann" } },
    { email: "a@example.com", name: "Ann", user: { first: null } },
    { email: "a@example.com", name: "Ann", user: "Ann" },
    { email: "a@example.com", name: "Ann", user: {} },
    { email: "a@example.com", name: "Ann", product_url: "https://example.com/x", user: { first: "A" } },
    { email: "a@example.com", name: "Ann", product_url: "javascript:x", user: { first: "A" } },
    { email: "a@example.com", name: "Ann\r\nBcc: x", user: { first: "A" } },
    { email: "a@example.com", toString: "x", constructor: null, name: "Ann", user: { first: "A" } },
    { email: "a@example.com", toString: "<x>", constructor: "c", valueOf: "v", name: "Ann" },
    // A field that is the row's own but undefined: missing, whatever the campaign's data says.
    { email: "a@example.com", name: undefined, user: { first: "A" } },
    { email: "a@example.com", name: "Ann", product_url: undefined, user: undefined },
  ];

  it("agrees with prepare() for every template, campaign data and recipient tried", () => {
    let refused = 0;
    for (const t of [template, nested, walks, inherited]) {
      for (const data of datas) {
        const messages = messageBuilder(project, { ...campaign, data }, t, undefined);
        for (const fields of fieldsOf) {
          // JSON would drop an undefined value: those rows are taken as they are.
          const r = Object.values(fields).includes(undefined)
            ? { address: "a@example.com", key: "a@example.com", fields }
            : recipient(fields);
          const p = messages.prepare(r);
          expect(messages.skipReason(r)).toBe(p.ok ? undefined : p.reason);
          if (!p.ok) refused++;
        }
      }
    }
    // Both verdicts were tried, several reasons among them.
    expect(refused).toBeGreaterThan(20);
    expect(refused).toBeLessThan(3 * datas.length * fieldsOf.length);
  });

  it("agrees with prepare() in link mode", () => {
    const link = {
      ...project,
      settings: {
        ...project.settings,
        unsubscribe: { ...project.settings.unsubscribe, mode: "link" as const, url: "https://example.com/u" },
      },
    };
    const t = templateOf({ subject: "Hi {{name}}", html: '<a href="{{unsubscribe_url}}">u</a>' });
    const messages = messageBuilder(link, campaign, t, SECRET);
    for (const fields of fieldsOf) {
      const p = messages.prepare(recipient(fields));
      expect(messages.skipReason(recipient(fields))).toBe(p.ok ? undefined : p.reason);
    }
  });
});
