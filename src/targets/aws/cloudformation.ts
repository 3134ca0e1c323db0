/**
 * The CloudFormation template `mailops bootstrap` writes: GitHub's OIDC provider (or an existing
 * one, by parameter) and one role per workflow, trusted only from this repository (and, for the
 * roles that change or send, only from jobs in the `production` environment), each with the policy
 * permissions.ts derives for its use case.
 */
import { type PolicyDocument, policyFor, type UseCase } from "./permissions.js";

export const OIDC_HOST = "token.actions.githubusercontent.com";

export interface RoleSpec {
  useCase: UseCase;
  logicalId: string;
  /** The GitHub OIDC token subjects allowed to assume it (`repo:ORG/REPO:` is prefixed). */
  subjects: string[];
  description: string;
  /** The repository variable the workflow reads the role's ARN from. */
  variable: string;
}

export const ROLES: RoleSpec[] = [
  {
    useCase: "plan",
    logicalId: "PlanRole",
    subjects: ["pull_request"],
    description: "mailops plan on pull requests: read only",
    variable: "MAILOPS_PLAN_ROLE_ARN",
  },
  {
    useCase: "deploy",
    logicalId: "DeployRole",
    subjects: ["environment:production"],
    description: "mailops deploy on merge to main: apply and send",
    variable: "MAILOPS_DEPLOY_ROLE_ARN",
  },
  {
    useCase: "send",
    logicalId: "SendRole",
    subjects: ["environment:production"],
    description: "mailops scheduled send: send only",
    variable: "MAILOPS_SEND_ROLE_ARN",
  },
  {
    useCase: "drift",
    logicalId: "DriftRole",
    subjects: ["ref:refs/heads/main"],
    description: "mailops drift check on main: read only",
    variable: "MAILOPS_DRIFT_ROLE_ARN",
  },
];

export interface TemplateInput {
  /** ORG/REPO */
  repository: string;
  project: string;
  bucket: string;
  prefix: string;
  /** The domains mail is sent from (sender.identity, the From addresses' domains). */
  identities: string[];
  /** s3://bucket/key of each subscriber source in S3. */
  sources: string[];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A CloudFormation pseudo parameter, as Fn::Sub writes it: `${AWS::Region}`. */
const pseudo = (name: string): string => `\${AWS::${name}}`;

/** `${AWS::Region}` and friends need Fn::Sub; plain strings stay plain. */
function sub(value: string): Json {
  return value.includes("${") ? { "Fn::Sub": value } : value;
}

function cfnPolicy(policy: PolicyDocument): Json {
  return {
    Version: policy.Version,
    Statement: policy.Statement.map((s) => ({
      Sid: s.Sid,
      Effect: s.Effect,
      Action: s.Action,
      Resource: Array.isArray(s.Resource) ? s.Resource.map(sub) : sub(s.Resource),
      ...(s.Condition ? { Condition: s.Condition as Json } : {}),
    })),
  };
}

function s3Arn(location: string): string {
  return `arn:aws:s3:::${location.replace(/^s3:\/\//, "")}`;
}

export function stackTemplate(input: TemplateInput): Record<string, Json> {
  const values = {
    region: pseudo("Region"),
    account: pseudo("AccountId"),
    bucket: input.bucket,
    prefixSlash: input.prefix === "" ? "" : `${input.prefix}/`,
    project: input.project,
    identities: [...new Set(input.identities)].sort(),
    sources: [...new Set(input.sources)].sort().map(s3Arn),
  };
  const resources: Record<string, Json> = {
    GitHubOidcProvider: {
      Type: "AWS::IAM::OIDCProvider",
      Condition: "CreateOidcProvider",
      Properties: { Url: `https://${OIDC_HOST}`, ClientIdList: ["sts.amazonaws.com"] },
    },
  };
  const outputs: Record<string, Json> = {};
  for (const role of ROLES) {
    resources[role.logicalId] = {
      Type: "AWS::IAM::Role",
      Properties: {
        Description: role.description,
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: {
                Federated: {
                  "Fn::If": [
                    "CreateOidcProvider",
                    { Ref: "GitHubOidcProvider" },
                    { Ref: "ExistingOidcProviderArn" },
                  ],
                },
              },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: {
                StringEquals: {
                  [`${OIDC_HOST}:aud`]: "sts.amazonaws.com",
                  [`${OIDC_HOST}:sub`]: role.subjects.map((s) => `repo:${input.repository}:${s}`),
                },
              },
            },
          ],
        },
        Policies: [
          {
            PolicyName: `mailops-${role.useCase}`,
            PolicyDocument: cfnPolicy(policyFor(role.useCase, values)),
          },
        ],
        Tags: [{ Key: "mailops:project", Value: input.project }],
      },
    };
    outputs[role.logicalId] = {
      Description: `${role.description} (repository variable ${role.variable})`,
      Value: { "Fn::GetAtt": [role.logicalId, "Arn"] },
    };
  }
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: `mailops ${input.project}: GitHub OIDC roles for ${input.repository} (generated by mailops bootstrap)`,
    Parameters: {
      ExistingOidcProviderArn: {
        Type: "String",
        Default: "",
        Description: `ARN of the account's existing ${OIDC_HOST} OIDC provider; empty creates one (an account has at most one)`,
      },
    },
    Conditions: { CreateOidcProvider: { "Fn::Equals": [{ Ref: "ExistingOidcProviderArn" }, ""] } },
    Resources: resources,
    Outputs: outputs,
  };
}
