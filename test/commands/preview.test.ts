/**
 * The templates a plan creates or updates, previewed by the preview use case: rendered with their
 * sample data before (the target's copy) and after (the repository's), and written as files for
 * the pull request's artifact.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runPreview } from "../../src/cli/preview.js";
import { applyProject } from "../../src/commands/apply-project.js";
import { makePlan } from "../../src/commands/plan.js";
import { previewMessages, previewTemplateChanges } from "../../src/commands/preview.js";
import { openSession, type Session } from "../../src/commands/session.js";
import { messagePage } from "../../src/render/message-page.js";
import { captureIo, copyExampleRepo, type ExampleRepo } from "../support/repo.js";

let repo: ExampleRepo;
let out: string;
beforeEach(() => {
  repo = copyExampleRepo();
  out = mkdtempSync(path.join(tmpdir(), "mailops-previews-"));
});
afterEach(() => {
  repo.cleanup();
  rmSync(out, { recursive: true, force: true });
});

const session = (): Session => openSession({ dir: repo.dir, target: "local", observe: () => {} });
const EMPTY = { subject: "", html: "", text: "" };

async function previews() {
  const s = session();
  const { plan } = await makePlan(s, { force: false });
  return previewTemplateChanges(s, plan, out);
}

async function applied(): Promise<void> {
  expect((await applyProject(session(), {})).state).toBe("applied");
}

const read = (rel: string) => readFileSync(path.join(out, rel), "utf8");

describe("previewTemplateChanges", () => {
  it("new templates: the repository's rendered with its sample, nothing before, the after files", async () => {
    const all = await previews();
    expect(all.map((p) => [p.template, p.action])).toEqual([
      ["product-promotion", "create"],
      ["product-promotion--deadline", "create"],
      ["product-promotion--offer", "create"],
      ["welcome-campaign", "create"],
    ]);
    // spring-sale's variants: the template's body with each one's own subject.
    expect(all.find((p) => p.template === "product-promotion--deadline")?.after.subject).toBe(
      "Until 2026-12-31: Our Products at 10% off",
    );
    const welcome = all.find((p) => p.template === "welcome-campaign");
    expect(welcome?.before).toEqual(EMPTY);
    expect(welcome?.after.subject).toBe("Welcome to Our Community, Test User!");
    expect(welcome?.after.html).toContain("Test User");
    expect(welcome?.error).toBeUndefined();
    expect(welcome?.files).toEqual([
      "previews/welcome-campaign/after.html",
      "previews/welcome-campaign/after.txt",
    ]);
    // The rendering as a page a browser opens: its charset, the subject as its title, the HTML part.
    expect(read("previews/welcome-campaign/after.html")).toBe(messagePage(welcome?.after ?? EMPTY));
    expect(read("previews/welcome-campaign/after.html")).toContain('<meta charset="utf-8">');
    expect(read("previews/welcome-campaign/after.txt")).toMatch(
      /^Subject: Welcome to Our Community, Test User!\n\n\S/,
    );
    expect(existsSync(path.join(out, "previews/welcome-campaign/before.html"))).toBe(false);
  });

  it("an updated template: the target's copy before, the repository's after, both written", async () => {
    await applied();
    const file = path.join(repo.dir, "templates/welcome-campaign.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("Welcome to Our Community", "Welcome aboard"));
    const all = await previews();
    expect(all.map((p) => [p.template, p.action])).toEqual([["welcome-campaign", "update"]]);
    const [welcome] = all;
    expect(welcome?.before.subject).toBe("Welcome to Our Community, Test User!");
    expect(welcome?.after.subject).toBe("Welcome aboard, Test User!");
    expect(welcome?.files).toEqual([
      "previews/welcome-campaign/before.html",
      "previews/welcome-campaign/before.txt",
      "previews/welcome-campaign/after.html",
      "previews/welcome-campaign/after.txt",
    ]);
    expect(read("previews/welcome-campaign/before.txt")).toMatch(
      /^Subject: Welcome to Our Community, Test User!\n/,
    );
    expect(read("previews/welcome-campaign/after.txt")).toMatch(/^Subject: Welcome aboard, Test User!\n/);
  });

  it("a deleted template is not previewed; nothing but templates is", async () => {
    await applied();
    rmSync(path.join(repo.dir, "templates/product-promotion.yaml"));
    for (const f of ["product-promotion.html", "product-promotion.txt"])
      rmSync(path.join(repo.dir, "templates", f), { force: true });
    // The campaign that used it goes too, or the repository would not validate.
    for (const c of ["holiday-promo.yaml", "spring-sale.yaml", "weekly-newsletter.yaml"])
      rmSync(path.join(repo.dir, "campaigns", c), { force: true });
    expect(await previews()).toEqual([]);
  });

  it("a side that cannot be rendered: why, and nothing rendered after it", async () => {
    await applied();
    // The target's copy, changed by hand into a template that does not compile.
    const live = path.join(repo.dir, ".mailops/local/template/welcome-campaign.json");
    const copy = JSON.parse(readFileSync(live, "utf8"));
    writeFileSync(live, JSON.stringify({ ...copy, spec: { ...copy.spec, html: "{{#if name}}unclosed" } }));
    const [welcome] = await previews();
    expect(welcome?.action).toBe("update");
    expect(welcome?.error).toMatch(/./);
    expect(welcome?.before).toEqual(EMPTY);
    expect(welcome?.after).toEqual(EMPTY);
    expect(welcome?.files).toEqual([]);
  });
});

describe("previewMessages", () => {
  it("writes the message as a page: charset, the subject as title, From and To, the HTML part, the .eml", async () => {
    const reports = await previewMessages(session(), { name: "welcome-new-customers", out });
    expect(reports).toHaveLength(1);
    const report = reports[0] as (typeof reports)[number];
    expect(report.variant).toBeUndefined();
    const page = readFileSync(report.files.html, "utf8");
    expect(page).toMatch(/^<!doctype html>\n<html lang="en"><head><meta charset="utf-8">/);
    expect(page).toContain(`<title>${report.subject}</title>`);
    expect(page).toContain("<dt>From</dt><dd>Acme Marketing &lt;marketing@example.com&gt;</dd>");
    expect(page).toContain("<dt>To</dt><dd>preview@example.com</dd>");
    expect(page).toMatch(/<iframe [^>]*srcdoc="&lt;html lang=&quot;en&quot;&gt;/);
    expect(page).toContain('<a href="./welcome-new-customers.eml">');
    expect(readFileSync(report.files.eml, "utf8")).toContain("Content-Type: text/html");
  });

  it("an A/B campaign is each of its variants, as its recipients get it; --variant one of them", async () => {
    const reports = await previewMessages(session(), { name: "spring-sale", out });
    expect(reports.map((r) => [r.variant, r.subject])).toEqual([
      ["offer", "Spring sale: 15% off Designer Handbag"],
      ["deadline", "Until 2027-04-30: Designer Handbag at 15% off"],
    ]);
    for (const r of reports) {
      expect(path.basename(r.files.eml)).toBe(`spring-sale--${r.variant}.eml`);
      expect(readFileSync(r.files.eml, "utf8")).toContain(`Subject: ${r.subject}`);
    }
    const [one, ...more] = await previewMessages(session(), {
      name: "spring-sale",
      out,
      variant: "deadline",
    });
    expect([one?.variant, more]).toEqual(["deadline", []]);
    await expect(previewMessages(session(), { name: "spring-sale", out, variant: "nope" })).rejects.toThrow(
      "campaign spring-sale has no variant `nope`",
    );
    await expect(
      previewMessages(session(), { name: "holiday-promo", out, variant: "offer" }),
    ).rejects.toThrow("has no variant");
  });

  it("`mailops preview` of an A/B campaign lists each variant (text and JSON)", async () => {
    const text = captureIo();
    expect(await runPreview({ dir: repo.dir, name: "spring-sale", out }, text)).toBe(0);
    expect(text.outText).toMatch(/^Variant offer\nSubject: Spring sale: 15% off Designer Handbag\n/);
    expect(text.outText).toContain("Variant deadline\nSubject: Until 2027-04-30");
    const json = captureIo();
    expect(await runPreview({ dir: repo.dir, name: "spring-sale", out, format: "json" }, json)).toBe(0);
    const report = JSON.parse(json.outText) as {
      name: string;
      subject: string;
      variants: { variant: string }[];
    };
    // Version 1's fields are the first variant's message; each variant is listed.
    expect(report.subject).toBe("Spring sale: 15% off Designer Handbag");
    expect([report.name, report.variants.map((v) => v.variant)]).toEqual([
      "spring-sale",
      ["offer", "deadline"],
    ]);
    const single = captureIo();
    expect(await runPreview({ dir: repo.dir, name: "holiday-promo", out, format: "json" }, single)).toBe(0);
    expect(JSON.parse(single.outText)).toMatchObject({
      kind: "preview",
      name: "holiday-promo",
      of: "campaign",
    });
  });
});
