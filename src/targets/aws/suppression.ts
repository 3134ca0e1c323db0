/**
 * Who must not get mail, read at send time from where AWS keeps it: the account suppression list
 * (bounces and complaints SES recorded) and, in ses-list mode, contacts opted out of the topic.
 */
import {
  paginateListContacts,
  paginateListSuppressedDestinations,
  type SESv2Client,
} from "@aws-sdk/client-sesv2";
import { normalizeAddress } from "../../util/email.js";
import { describeAwsError } from "./errors.js";

export async function awsSuppressedKeys(
  ses: SESv2Client,
  list?: { contactList: string; topic?: string },
): Promise<Set<string>> {
  const keys = new Set<string>();
  try {
    for await (const page of paginateListSuppressedDestinations({ client: ses, pageSize: 1000 }, {})) {
      for (const s of page.SuppressedDestinationSummaries ?? [])
        if (s.EmailAddress) keys.add(normalizeAddress(s.EmailAddress));
    }
  } catch (e) {
    throw describeAwsError(e, "reading the account suppression list (ListSuppressedDestinations)");
  }
  if (list?.topic) {
    try {
      const filter = {
        FilteredStatus: "OPT_OUT" as const,
        TopicFilter: { TopicName: list.topic, UseDefaultIfPreferenceUnavailable: true },
      };
      for await (const page of paginateListContacts(
        { client: ses, pageSize: 1000 },
        { ContactListName: list.contactList, Filter: filter },
      )) {
        for (const c of page.Contacts ?? []) if (c.EmailAddress) keys.add(normalizeAddress(c.EmailAddress));
      }
    } catch (e) {
      throw describeAwsError(e, `reading opt-outs of topic ${list.topic} (ListContacts)`);
    }
  }
  return keys;
}
