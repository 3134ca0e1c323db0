/**
 * The SES v2 operations neither emulator serves (docs/emulators.md: the router answers them
 * 501), stood in for with aws-sdk-client-mock on SESv2Client, for the aws target's tests:
 *
 * - event destinations: Create/Update/Delete/GetConfigurationSetEventDestination(s);
 * - configuration set option updates: PutConfigurationSet{Delivery,Reputation,Sending,
 *   Suppression,Tracking}Options, shown by later GetConfigurationSet calls;
 * - UpdateContactList, shown by later GetContactList calls;
 * - identity attribute updates: PutEmailIdentity{DkimAttributes,DkimSigningAttributes,
 *   MailFromAttributes,ConfigurationSetAttributes}, shown by later GetEmailIdentity calls over
 *   moto's own answer (moto serves create, get, list and delete, and never these);
 * - GetAccount / GetEmailIdentity answers an emulator cannot be configured to give per test: SES's
 *   verdict on an identity (verified, DKIM tokens and status) laid over what moto holds. An
 *   identity moto does not hold stays absent: the stand-in never invents one.
 *
 * Why a client mock and not more router routes: the router forwards to emulators and corrects
 * their answers, but never invents state; a stand-in behind HTTP would be a fake emulator with
 * its own bugs. The mock sits at `send()`, records the exact input of every command (tests pin
 * those request shapes with `calls()`), and passes every other command through to the real
 * client, so templates, configuration sets and contact lists still go over HTTP to the router.
 * The stand-in keeps just enough state (destinations per set, option overlays) for
 * read-after-write, so apply-then-plan can be checked here too.
 */
import {
  AlreadyExistsException,
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetCommand,
  DeleteConfigurationSetEventDestinationCommand,
  DeleteContactListCommand,
  DeleteEmailIdentityCommand,
  type EventDestination,
  type EventDestinationDefinition,
  GetAccountCommand,
  type GetAccountCommandOutput,
  GetConfigurationSetCommand,
  type GetConfigurationSetCommandOutput,
  GetConfigurationSetEventDestinationsCommand,
  GetContactListCommand,
  type GetContactListCommandOutput,
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  ListContactsCommand,
  ListSuppressedDestinationsCommand,
  NotFoundException,
  PutConfigurationSetDeliveryOptionsCommand,
  PutConfigurationSetReputationOptionsCommand,
  PutConfigurationSetSendingOptionsCommand,
  PutConfigurationSetSuppressionOptionsCommand,
  PutConfigurationSetTrackingOptionsCommand,
  PutEmailIdentityConfigurationSetAttributesCommand,
  PutEmailIdentityDkimAttributesCommand,
  PutEmailIdentityDkimSigningAttributesCommand,
  PutEmailIdentityMailFromAttributesCommand,
  SESv2Client,
  type Topic,
  UpdateConfigurationSetEventDestinationCommand,
  UpdateContactListCommand,
} from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";

type Input = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the real send, called with any command.
type Send = (this: SESv2Client, command: any) => Promise<any>;
// biome-ignore lint/suspicious/noExplicitAny: command classes of any input and output.
type CommandClass = new (input: any) => { input: unknown };

export interface UnemulatedSes {
  /** The inputs the named command was sent with, in order (the request shapes tests pin). */
  calls(command: CommandClass): Input[];
  /** Answer GetAccount with this instead of the emulator's account (undefined: the emulator's). */
  account: Partial<GetAccountCommandOutput> | undefined;
  /**
   * SES's verdict on every identity moto holds, laid over moto's GetEmailIdentity answer
   * (undefined: moto's own). An identity moto does not hold is still absent (404).
   */
  identity: Partial<GetEmailIdentityCommandOutput> | undefined;
  /** The same for one identity by name (DKIM tokens and status, MAIL FROM status), over `identity`. */
  identities: Map<string, Partial<GetEmailIdentityCommandOutput>>;
  /** The account suppression list ListSuppressedDestinations answers with (for send tests). */
  suppressed: string[];
  /** Per topic, the contacts ListContacts reports opted out (for send tests). */
  optedOut: Map<string, string[]>;
  /** Forget all state and recorded calls (with the emulators' reset). */
  reset(): void;
  restore(): void;
}

const meta = { $metadata: {} };

export function mockUnemulatedSes(): UnemulatedSes {
  // The inherited Client#send, before the mock replaces it on SESv2Client.prototype.
  const realSend = SESv2Client.prototype.send as unknown as Send;
  const mock = mockClient(SESv2Client);
  mock.send.callThrough();

  const destinations = new Map<string, Map<string, EventDestinationDefinition>>();
  const setOptions = new Map<string, Partial<GetConfigurationSetCommandOutput>>();
  const listOverlay = new Map<string, { Topics?: Topic[]; Description?: string }>();
  // What the Put*EmailIdentity* calls wrote, per identity.
  const identityWrites = new Map<string, Partial<GetEmailIdentityCommandOutput>>();
  const state: Pick<UnemulatedSes, "account" | "identity" | "identities" | "suppressed" | "optedOut"> = {
    account: undefined,
    identity: undefined,
    identities: new Map(),
    suppressed: [],
    optedOut: new Map(),
  };

  const notFound = (what: string) => new NotFoundException({ message: `${what} does not exist.`, ...meta });
  // Does the set exist in moto? Asked over HTTP, as SES would check.
  const setExists = async (client: SESv2Client, name: string) => {
    try {
      await realSend.call(client, new GetConfigurationSetCommand({ ConfigurationSetName: name }));
      return true;
    } catch (e) {
      if ((e as Error).name === "NotFoundException") return false;
      throw e;
    }
  };
  const setDestinations = (set: string) => {
    const m = destinations.get(set) ?? new Map<string, EventDestinationDefinition>();
    destinations.set(set, m);
    return m;
  };

  mock
    .on(CreateConfigurationSetEventDestinationCommand)
    .callsFake(async (input, getClient) => {
      if (!(await setExists(getClient(), input.ConfigurationSetName)))
        throw notFound(`Configuration set <${input.ConfigurationSetName}>`);
      const m = setDestinations(input.ConfigurationSetName);
      if (m.has(input.EventDestinationName))
        throw new AlreadyExistsException({
          message: `${input.EventDestinationName} already exists.`,
          ...meta,
        });
      m.set(input.EventDestinationName, structuredClone(input.EventDestination));
      return meta;
    })
    .on(UpdateConfigurationSetEventDestinationCommand)
    .callsFake(async (input) => {
      const m = destinations.get(input.ConfigurationSetName);
      if (!m?.has(input.EventDestinationName))
        throw notFound(`Event destination ${input.EventDestinationName}`);
      m.set(input.EventDestinationName, structuredClone(input.EventDestination));
      return meta;
    })
    .on(DeleteConfigurationSetEventDestinationCommand)
    .callsFake(async (input) => {
      const m = destinations.get(input.ConfigurationSetName);
      if (!m?.delete(input.EventDestinationName))
        throw notFound(`Event destination ${input.EventDestinationName}`);
      return meta;
    })
    .on(GetConfigurationSetEventDestinationsCommand)
    .callsFake(async (input, getClient) => {
      if (!(await setExists(getClient(), input.ConfigurationSetName)))
        throw notFound(`Configuration set <${input.ConfigurationSetName}>`);
      const list: EventDestination[] = [...(destinations.get(input.ConfigurationSetName) ?? [])].map(
        ([Name, d]) => ({ Name, ...structuredClone(d) }) as EventDestination,
      );
      return { ...meta, EventDestinations: list };
    })
    .on(DeleteConfigurationSetCommand)
    .callsFake(async (input, getClient) => {
      const out = await realSend.call(getClient(), new DeleteConfigurationSetCommand(input));
      // SES deletes a set's event destinations with it.
      destinations.delete(input.ConfigurationSetName);
      setOptions.delete(input.ConfigurationSetName);
      return out;
    })
    .on(GetConfigurationSetCommand)
    .callsFake(async (input, getClient) => {
      const out = (await realSend.call(
        getClient(),
        new GetConfigurationSetCommand(input),
      )) as GetConfigurationSetCommandOutput;
      return { ...out, ...structuredClone(setOptions.get(input.ConfigurationSetName) ?? {}) };
    })
    .on(UpdateContactListCommand)
    .callsFake(async (input, getClient) => {
      // Fails as SES does when the list does not exist.
      await realSend.call(getClient(), new GetContactListCommand({ ContactListName: input.ContactListName }));
      listOverlay.set(input.ContactListName, {
        Topics: structuredClone(input.Topics ?? []),
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
      });
      return meta;
    })
    .on(GetContactListCommand)
    .callsFake(async (input, getClient) => {
      const out = (await realSend.call(
        getClient(),
        new GetContactListCommand(input),
      )) as GetContactListCommandOutput;
      return { ...out, ...structuredClone(listOverlay.get(input.ContactListName) ?? {}) };
    })
    .on(DeleteContactListCommand)
    .callsFake(async (input, getClient) => {
      const out = await realSend.call(getClient(), new DeleteContactListCommand(input));
      listOverlay.delete(input.ContactListName);
      return out;
    })
    .on(GetAccountCommand)
    .callsFake(async (input, getClient) =>
      state.account
        ? { ...meta, ...state.account }
        : realSend.call(getClient(), new GetAccountCommand(input)),
    )
    // Paged by two, so callers must follow NextToken.
    .on(ListSuppressedDestinationsCommand)
    .callsFake(async (input) => {
      const start = Number(input.NextToken ?? 0);
      const page = state.suppressed.slice(start, start + 2);
      return {
        ...meta,
        SuppressedDestinationSummaries: page.map((EmailAddress) => ({
          EmailAddress,
          Reason: "BOUNCE",
          LastUpdateTime: new Date(0),
        })),
        ...(start + 2 < state.suppressed.length ? { NextToken: String(start + 2) } : {}),
      };
    })
    .on(ListContactsCommand)
    .callsFake(async (input) => {
      const topic = input.Filter?.TopicFilter?.TopicName as string | undefined;
      const out =
        input.Filter?.FilteredStatus === "OPT_OUT" && topic ? (state.optedOut.get(topic) ?? []) : [];
      return { ...meta, Contacts: out.map((EmailAddress) => ({ EmailAddress })) };
    })
    .on(GetEmailIdentityCommand)
    .callsFake(async (input, getClient) => {
      // moto's answer (a 404 stays one), then what was written, then SES's verdict.
      const out = (await realSend.call(
        getClient(),
        new GetEmailIdentityCommand(input),
      )) as GetEmailIdentityCommandOutput;
      const name = input.EmailIdentity;
      let merged: GetEmailIdentityCommandOutput = out;
      for (const layer of [identityWrites.get(name), state.identity, state.identities.get(name)]) {
        if (!layer) continue;
        merged = {
          ...merged,
          ...structuredClone(layer),
          DkimAttributes: { ...merged.DkimAttributes, ...structuredClone(layer.DkimAttributes ?? {}) },
        };
      }
      return merged;
    });

  // Fails as SES does when the identity does not exist (asked of moto over HTTP).
  const identityWrite =
    (
      write: (
        input: Input,
        current: Partial<GetEmailIdentityCommandOutput>,
      ) => Partial<GetEmailIdentityCommandOutput>,
    ) =>
    async (input: Input, getClient: () => SESv2Client) => {
      const name = String(input.EmailIdentity);
      await realSend.call(getClient(), new GetEmailIdentityCommand({ EmailIdentity: name }));
      identityWrites.set(name, write(input, identityWrites.get(name) ?? {}));
      return meta;
    };
  mock.on(DeleteEmailIdentityCommand).callsFake(async (input, getClient) => {
    const out = await realSend.call(getClient(), new DeleteEmailIdentityCommand(input));
    identityWrites.delete(input.EmailIdentity);
    return out;
  });
  mock.on(PutEmailIdentityDkimAttributesCommand).callsFake(
    identityWrite((input, w) => ({
      ...w,
      DkimAttributes: { ...w.DkimAttributes, SigningEnabled: input.SigningEnabled === true },
    })),
  );
  mock.on(PutEmailIdentityDkimSigningAttributesCommand).callsFake(
    identityWrite((input, w) => ({
      ...w,
      DkimAttributes: {
        ...w.DkimAttributes,
        SigningEnabled: true,
        SigningAttributesOrigin: input.SigningAttributesOrigin as "AWS_SES",
        NextSigningKeyLength: (
          input.SigningAttributes as { NextSigningKeyLength?: "RSA_2048_BIT" } | undefined
        )?.NextSigningKeyLength,
      },
    })),
  );
  mock.on(PutEmailIdentityMailFromAttributesCommand).callsFake(
    identityWrite((input, w) => {
      const { MailFromAttributes: _, ...rest } = w;
      // Without a domain, SES removes the custom MAIL FROM; a new one starts PENDING.
      return input.MailFromDomain
        ? {
            ...rest,
            MailFromAttributes: {
              MailFromDomain: String(input.MailFromDomain),
              MailFromDomainStatus: "PENDING",
              BehaviorOnMxFailure: (input.BehaviorOnMxFailure as "USE_DEFAULT_VALUE") ?? "USE_DEFAULT_VALUE",
            },
          }
        : rest;
    }),
  );
  mock.on(PutEmailIdentityConfigurationSetAttributesCommand).callsFake(
    identityWrite((input, w) => ({
      ...w,
      ConfigurationSetName: (input.ConfigurationSetName as string | undefined) ?? undefined,
    })),
  );

  const option =
    <K extends keyof GetConfigurationSetCommandOutput>(key: K, pick: (input: Input) => unknown) =>
    async (input: Input, getClient: () => SESv2Client) => {
      const name = String(input.ConfigurationSetName);
      if (!(await setExists(getClient(), name))) throw notFound(`Configuration set <${name}>`);
      const overlay = setOptions.get(name) ?? {};
      overlay[key] = pick(input) as GetConfigurationSetCommandOutput[K];
      setOptions.set(name, overlay);
      return meta;
    };
  const without = (input: Input) => {
    const { ConfigurationSetName: _, ...rest } = input;
    return rest;
  };
  mock.on(PutConfigurationSetDeliveryOptionsCommand).callsFake(option("DeliveryOptions", without));
  mock.on(PutConfigurationSetReputationOptionsCommand).callsFake(option("ReputationOptions", without));
  mock.on(PutConfigurationSetSendingOptionsCommand).callsFake(option("SendingOptions", without));
  mock.on(PutConfigurationSetSuppressionOptionsCommand).callsFake(option("SuppressionOptions", without));
  mock.on(PutConfigurationSetTrackingOptionsCommand).callsFake(option("TrackingOptions", without));

  return {
    calls: (command) =>
      mock.commandCalls(command as never).map((c) => structuredClone((c.args[0] as { input: Input }).input)),
    get account() {
      return state.account;
    },
    set account(v) {
      state.account = v;
    },
    get identity() {
      return state.identity;
    },
    get identities() {
      return state.identities;
    },
    set identity(v) {
      state.identity = v;
    },
    get suppressed() {
      return state.suppressed;
    },
    set suppressed(v) {
      state.suppressed = v;
    },
    get optedOut() {
      return state.optedOut;
    },
    set optedOut(v) {
      state.optedOut = v;
    },
    reset() {
      destinations.clear();
      setOptions.clear();
      listOverlay.clear();
      identityWrites.clear();
      state.account = undefined;
      state.identity = undefined;
      state.identities = new Map();
      state.suppressed = [];
      state.optedOut = new Map();
      mock.resetHistory();
    },
    restore: () => mock.restore(),
  };
}
