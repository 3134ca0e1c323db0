/** A variant with its own subject is its own SES template, `<template>--<variant>`, in the plan like any template. */
import { afterEach, describe, expect, it } from "vitest";
import { loadProject } from "../../src/config/load.js";
import { desiredResources, templateSpec } from "../../src/plan/desired.js";
import type { ExampleRepo } from "../support/repo.js";
import { abRepo } from "../support/variants.js";

let repo: ExampleRepo | undefined;
afterEach(() => repo?.cleanup());

describe("variant templates", () => {
  it("are desired as templates of their own: the base template's body with the variant's subject", () => {
    repo = abRepo(3);
    const project = loadProject(repo.dir).value;
    const templates = desiredResources(project).filter((r) => r.kind === "template");
    const variant = templates.find((r) => r.name === "product-promotion--a");
    const base = project.templates.get("product-promotion");
    if (!base) throw new Error("the example changed");
    expect(variant).toMatchObject({
      adopt: false,
      spec: { ...templateSpec(base), subject: "A: {{discount}}% off {{product_name}}" },
    });
    // Variant b has no subject of its own: it is sent with the campaign's template, no new one
    // (the other two are the example's spring-sale variants).
    expect(
      templates
        .map((t) => t.name)
        .filter((n) => n.includes("--"))
        .sort(),
    ).toEqual(["product-promotion--a", "product-promotion--deadline", "product-promotion--offer"]);
  });
});
