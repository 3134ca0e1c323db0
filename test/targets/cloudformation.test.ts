/** The roles' CloudFormation template: trust scoped to the repository, policies from the permissions table. */
import { describe, expect, it } from "vitest";
import { WORKFLOW } from "../../src/action/failure.js";
import { ROLES, stackTemplate } from "../../src/targets/aws/cloudformation.js";
import { actionsFor, policyFor } from "../../src/targets/aws/permissions.js";

const input = {
  repository: "acme/marketing",
  project: "acme-marketing",
  bucket: "acme-state",
  prefix: "mailops",
  identities: ["example.com"],
  sources: ["s3://acme-subscribers/customers.csv"],
};

// biome-ignore lint/suspicious/noExplicitAny: the template is parsed JSON
type Any = any;
const template: Any = JSON.parse(JSON.stringify(stackTemplate(input)));
const SUB = "token.actions.githubusercontent.com:sub";
/** Fn::Sub's pseudo parameters, as the template writes them. */
const REGION = "$" + "{AWS::Region}";
const ACCOUNT = "$" + "{AWS::AccountId}";

/** A statement's resources with Fn::Sub unwrapped. */
const plain = (r: Any): string => (typeof r === "string" ? r : r["Fn::Sub"]);

describe("bootstrap's CloudFormation template", () => {
  it("has the four roles, each trusting only its workflows in this repository", () => {
    const trust = (id: string) => template.Resources[id].Properties.AssumeRolePolicyDocument.Statement[0];
    expect(Object.keys(template.Resources).sort()).toEqual(
      ["DeployRole", "DriftRole", "GitHubOidcProvider", "PlanRole", "SendRole"].sort(),
    );
    expect(trust("PlanRole").Condition.StringEquals[SUB]).toEqual(["repo:acme/marketing:pull_request"]);
    expect(trust("DeployRole").Condition.StringEquals[SUB]).toEqual([
      "repo:acme/marketing:environment:production",
    ]);
    expect(trust("SendRole").Condition.StringEquals[SUB]).toEqual([
      "repo:acme/marketing:environment:production",
    ]);
    expect(trust("DriftRole").Condition.StringEquals[SUB]).toEqual([
      "repo:acme/marketing:ref:refs/heads/main",
    ]);
    for (const role of ROLES) {
      const t = trust(role.logicalId);
      expect(t.Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(t.Condition.StringEquals["token.actions.githubusercontent.com:aud"]).toBe("sts.amazonaws.com");
      expect(t.Principal.Federated["Fn::If"][0]).toBe("CreateOidcProvider");
    }
  });

  it("names, per role, the repository variable its workflow reads", () => {
    const byUseCase = Object.fromEntries(ROLES.map((r) => [r.useCase, r.variable]));
    expect(byUseCase).toEqual({
      plan: WORKFLOW.pr.role,
      deploy: WORKFLOW.deploy.role,
      send: WORKFLOW.send.role,
      drift: WORKFLOW.drift.role,
    });
  });

  it("creates the OIDC provider unless an existing one is given", () => {
    expect(template.Parameters.ExistingOidcProviderArn.Default).toBe("");
    expect(template.Conditions.CreateOidcProvider).toEqual({
      "Fn::Equals": [{ Ref: "ExistingOidcProviderArn" }, ""],
    });
    expect(template.Resources.GitHubOidcProvider.Condition).toBe("CreateOidcProvider");
    expect(template.Resources.GitHubOidcProvider.Properties.Url).toBe(
      "https://token.actions.githubusercontent.com",
    );
  });

  it("gives each role exactly the table's policy for its use case", () => {
    for (const role of ROLES) {
      const [policy] = template.Resources[role.logicalId].Properties.Policies;
      const actions = new Set(policy.PolicyDocument.Statement.flatMap((s: Any) => s.Action));
      expect([...actions].sort(), role.useCase).toEqual([...actionsFor(role.useCase)].sort());
      const expected = policyFor(role.useCase, {
        region: REGION,
        account: ACCOUNT,
        bucket: "acme-state",
        prefixSlash: "mailops/",
        project: "acme-marketing",
        identities: ["example.com"],
        sources: ["arn:aws:s3:::acme-subscribers/customers.csv"],
      });
      const got = policy.PolicyDocument.Statement.map((s: Any) => ({
        ...s,
        Resource: Array.isArray(s.Resource) ? s.Resource.map(plain) : plain(s.Resource),
      }));
      expect(got, role.useCase).toEqual(expected.Statement);
    }
  });

  it("scopes state, sources and sending to this project's names", () => {
    const resources = (id: string) =>
      template.Resources[id].Properties.Policies[0].PolicyDocument.Statement.flatMap((s: Any) =>
        [s.Resource].flat().map(plain),
      );
    expect(resources("SendRole")).toContain("arn:aws:s3:::acme-state/mailops/*");
    expect(resources("SendRole")).toContain("arn:aws:s3:::acme-subscribers/customers.csv");
    expect(resources("SendRole")).toContain(`arn:aws:ses:${REGION}:${ACCOUNT}:identity/example.com`);
    expect(resources("DriftRole")).not.toContain("arn:aws:s3:::acme-subscribers/customers.csv");
    expect(resources("DeployRole")).toContain(
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:acme-marketing-*`,
    );
  });
});
