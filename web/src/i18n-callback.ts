/** Texts of the callback pages (issue 14, docs/callback.md), merged into i18n.ts's dictionaries. */
export const CALLBACK_SV: Record<string, string> = {
  'nav.callbacks': 'Återuppringning',
  'callback.pending': 'Väntande återuppringningar',
  'callback.none': 'Inga återuppringningar väntar.',
  'callback.number': 'Nummer',
  'callback.requested': 'Beställd',
  'callback.state': 'Läge',
  'callback.attempts': 'Försök',
  'callback.held': 'vilar (stängt)',
  'callback.cancel': 'Avbeställ',
  'callback.first': 'Först i kön',
  'callback.stats': 'Senaste 7 dagarna',
  'callback.statsLine':
    'Beställda {requested} · kopplade {completed} · misslyckade {failed} · avbeställda {cancelled} · tid till samtal i snitt {avg} s',
  'callback.mark': 'återuppringning',
  'agentpage.callback': 'Återuppringning till',
  'queue.callback': 'Återuppringning (behåller platsen i kön)',
  'queue.callbackKey': 'Knapp för återuppringning',
  'queue.callbackOff': 'Av',
  'queue.callbackMinWaitSec': 'Erbjuds vid beräknad väntetid från (s)',
}

export const CALLBACK_EN: Record<string, string> = {
  'nav.callbacks': 'Callbacks',
  'callback.pending': 'Pending callbacks',
  'callback.none': 'No callbacks are waiting.',
  'callback.number': 'Number',
  'callback.requested': 'Requested',
  'callback.state': 'State',
  'callback.attempts': 'Attempts',
  'callback.held': 'held (closed)',
  'callback.cancel': 'Cancel',
  'callback.first': 'Move first',
  'callback.stats': 'Last 7 days',
  'callback.statsLine':
    'Requested {requested} · connected {completed} · failed {failed} · cancelled {cancelled} · average time to the call {avg} s',
  'callback.mark': 'callback',
  'agentpage.callback': 'Callback to',
  'queue.callback': 'Callback (keeps the place in the queue)',
  'queue.callbackKey': 'Callback key',
  'queue.callbackOff': 'Off',
  'queue.callbackMinWaitSec': 'Offered from an estimated wait of (s)',
}
