import { describe, expect, it } from "vitest";
import { loadProject } from "../../src/config/load.js";
import { MailopsError } from "../../src/errors.js";
import { messagePlan } from "../../src/send/message.js";

const project = loadProject(process.cwd()).value;
const campaign = project.campaigns.get("holiday-promo");
const template = project.templates.get("product-promotion");
if (!campaign || !template) throw new Error("the example repository changed");

const recipient = (fields: Record<string, unknown>) => ({
  address: "a@example.com",
  key: "a@example.com",
  fields: JSON.parse(JSON.stringify(fields)) as Record<string, unknown>,
});

describe("messagePlan", () => {
  it("gives each recipient the campaign data, built-ins and their own fields", () => {
    const plan = messagePlan(project, campaign, template, undefined);
    const r = plan.prepare(recipient({ email: "a@example.com", name: "Ann", discount: 99 }));
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
    const plan = messagePlan(project, campaign, template, undefined);
    expect(plan.prepare(recipient({ email: "a@example.com" }))).toEqual({
      ok: false,
      reason: "missing variable name",
    });
    expect(plan.prepare(recipient({ email: "a@example.com", name: "<b>Ann</b>" }))).toEqual({
      ok: false,
      reason: "unsafe value in field name (html text)",
    });
  });

  it("refuses campaign data with a __proto__ key rather than letting it reach the prototype", () => {
    const data = JSON.parse('{"__proto__": {"name": "x"}, "discount": 1}') as Record<string, unknown>;
    expect(() => messagePlan(project, { ...campaign, data }, template, undefined)).toThrow(MailopsError);
  });
});
