// A manager's assignment, as every page makes it: when the agent's card does not take the
// ticket the server refuses (`card_mismatch`, with what does not match) and the manager is
// asked "assign anyway?"; the answer says whether the agent is working now.

import { api } from './api.js';

const TRAITS = {
  stage: 'booking stage',
  channel: 'channel',
  language: 'language',
  listing_group: 'listing group',
  group: 'routing group',
};

/**
 * Assigns the ticket to the agent, asking before going against their card. Resolves to the
 * ticket and a sentence to show, or to null when the manager declined.
 */
export async function assignTicket(ticketId, agentId, agentName) {
  let ticket;
  try {
    ticket = await api.assign(ticketId, agentId);
  } catch (e) {
    if (e.code !== 'card_mismatch') throw e;
    const what = (e.details.mismatches || []).map((m) => TRAITS[m] || m).join(', ');
    const ask = `${agentName}'s card does not take this ticket's ${what || 'traits'}. Assign anyway?`;
    if (!window.confirm(ask)) return null;
    ticket = await api.assign(ticketId, agentId, true);
  }
  const said = ticket.agent_working
    ? `Reassigned to ${agentName}.`
    : `Reassigned to ${agentName}, who is not working now: the ticket waits for them.`;
  return { ticket, said };
}
