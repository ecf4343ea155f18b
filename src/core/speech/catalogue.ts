/**
 * The catalogue of every prompt koplus plays, by stable id, with its text in Swedish and
 * English. The WAV files under sounds/<lang>/<id>.wav are generated from this table by
 * scripts/generate-sounds.ts (espeak-ng + sox); sounds/README.md lists it for humans.
 *
 * Ids are stable: operators override prompts per queue and language by id.
 */

/** Languages we ship prompts for. Swedish is the default. */
export const LANGS = ['sv', 'en'] as const
export type Lang = (typeof LANGS)[number]
export const DEFAULT_LANG: Lang = 'sv'

/** How the file for a prompt is made: spoken text, a synthesised beep, or music on hold. */
type PromptKind = 'speech' | 'beep' | 'moh'

interface PromptEntry {
  readonly kind: PromptKind
  /** What the prompt says (for beep/moh: a description). */
  readonly sv: string
  readonly en: string
}

/** Numbers as recorded words. Composition rules live in ./numbers.ts. */
const NUMBER_WORDS: Record<string, PromptEntry> = {
  'num-0': { kind: 'speech', sv: 'noll', en: 'zero' },
  /** Neuter / counting form in Swedish: "ett", "nummer ett", "tjugoett". */
  'num-1': { kind: 'speech', sv: 'ett', en: 'one' },
  /** Common-gender form in Swedish, for a lone 1 before an en-word: "en minut", "en kö". */
  'num-1-common': { kind: 'speech', sv: 'en', en: 'one' },
  'num-2': { kind: 'speech', sv: 'två', en: 'two' },
  'num-3': { kind: 'speech', sv: 'tre', en: 'three' },
  'num-4': { kind: 'speech', sv: 'fyra', en: 'four' },
  'num-5': { kind: 'speech', sv: 'fem', en: 'five' },
  'num-6': { kind: 'speech', sv: 'sex', en: 'six' },
  'num-7': { kind: 'speech', sv: 'sju', en: 'seven' },
  'num-8': { kind: 'speech', sv: 'åtta', en: 'eight' },
  'num-9': { kind: 'speech', sv: 'nio', en: 'nine' },
  'num-10': { kind: 'speech', sv: 'tio', en: 'ten' },
  'num-11': { kind: 'speech', sv: 'elva', en: 'eleven' },
  'num-12': { kind: 'speech', sv: 'tolv', en: 'twelve' },
  'num-13': { kind: 'speech', sv: 'tretton', en: 'thirteen' },
  'num-14': { kind: 'speech', sv: 'fjorton', en: 'fourteen' },
  'num-15': { kind: 'speech', sv: 'femton', en: 'fifteen' },
  'num-16': { kind: 'speech', sv: 'sexton', en: 'sixteen' },
  'num-17': { kind: 'speech', sv: 'sjutton', en: 'seventeen' },
  'num-18': { kind: 'speech', sv: 'arton', en: 'eighteen' },
  'num-19': { kind: 'speech', sv: 'nitton', en: 'nineteen' },
  'num-20': { kind: 'speech', sv: 'tjugo', en: 'twenty' },
  'num-30': { kind: 'speech', sv: 'trettio', en: 'thirty' },
  'num-40': { kind: 'speech', sv: 'fyrtio', en: 'forty' },
  'num-50': { kind: 'speech', sv: 'femtio', en: 'fifty' },
  'num-60': { kind: 'speech', sv: 'sextio', en: 'sixty' },
  'num-70': { kind: 'speech', sv: 'sjuttio', en: 'seventy' },
  'num-80': { kind: 'speech', sv: 'åttio', en: 'eighty' },
  'num-90': { kind: 'speech', sv: 'nittio', en: 'ninety' },
  'num-hundred': { kind: 'speech', sv: 'hundra', en: 'hundred' },
  'num-thousand': { kind: 'speech', sv: 'tusen', en: 'thousand' },
}

/** Every prompt, by id. */
export const PROMPTS = {
  // Caller journey (Q1–Q5, S4, D4, D5)
  welcome: { kind: 'speech', sv: 'Välkommen.', en: 'Welcome.' },
  'queue-first': {
    kind: 'speech',
    sv: 'Ditt samtal är placerat i kö. Vi besvarar det så snart någon blir ledig.',
    en: 'Your call has been placed in a queue. We will answer it as soon as someone is available.',
  },
  'queue-periodic': {
    kind: 'speech',
    sv: 'Vi tar emot ditt samtal så fort vi kan.',
    en: 'We will take your call as soon as we can.',
  },
  'position-is': { kind: 'speech', sv: 'Din plats i kön är nummer', en: 'Your place in the queue is number' },
  'wait-is': { kind: 'speech', sv: 'Beräknad väntetid är', en: 'The estimated waiting time is' },
  'wait-about': { kind: 'speech', sv: 'ungefär', en: 'about' },
  'wait-less-than-a-minute': { kind: 'speech', sv: 'mindre än en minut', en: 'less than a minute' },
  'wait-more-than': { kind: 'speech', sv: 'mer än', en: 'more than' },
  minute: { kind: 'speech', sv: 'minut', en: 'minute' },
  minutes: { kind: 'speech', sv: 'minuter', en: 'minutes' },
  closed: {
    kind: 'speech',
    sv: 'Vi har tyvärr stängt just nu. Välkommen att ringa igen under våra öppettider.',
    en: 'Sorry, we are closed at the moment. Please call again during our opening hours.',
  },
  overflow: {
    kind: 'speech',
    sv: 'Just nu har vi väldigt många samtal och kan inte ta emot fler i kön. Försök gärna igen senare.',
    en: 'We are receiving a very large number of calls right now and cannot take more calls in the queue. Please try again later.',
  },
  'no-agents': {
    kind: 'speech',
    sv: 'Just nu finns ingen som kan ta emot ditt samtal. Försök gärna igen senare.',
    en: 'There is nobody available to take your call right now. Please try again later.',
  },
  transferring: { kind: 'speech', sv: 'Ditt samtal kopplas vidare.', en: 'Your call is being transferred.' },
  goodbye: { kind: 'speech', sv: 'Tack för att du ringde. Hej då.', en: 'Thank you for calling. Goodbye.' },

  // Agents' feature-code confirmations (A1, D6, D7, T4)
  'agent-enter-queue': {
    kind: 'speech',
    sv: 'Ange könumret och avsluta med fyrkant.',
    en: 'Enter the queue number, followed by the hash key.',
  },
  'agent-logged-in-to': { kind: 'speech', sv: 'Du är nu inloggad i', en: 'You are now logged in to' },
  queue: { kind: 'speech', sv: 'kö', en: 'queue' },
  queues: { kind: 'speech', sv: 'köer', en: 'queues' },
  'agent-logged-in-none': {
    kind: 'speech',
    sv: 'Du är inte inloggad i någon kö.',
    en: 'You are not logged in to any queue.',
  },
  'agent-logged-out': { kind: 'speech', sv: 'Du är nu utloggad.', en: 'You are now logged out.' },
  'agent-paused': {
    kind: 'speech',
    sv: 'Du har nu paus och får inga samtal.',
    en: 'You are now paused and will not receive calls.',
  },
  'agent-unpaused': {
    kind: 'speech',
    sv: 'Din paus är avslutad. Du kan nu ta emot samtal.',
    en: 'Your pause has ended. You can now receive calls.',
  },
  'agent-device-softphone': {
    kind: 'speech',
    sv: 'Samtal kopplas nu till din datortelefon.',
    en: 'Calls will now be delivered to your softphone.',
  },
  'agent-device-deskphone': {
    kind: 'speech',
    sv: 'Samtal kopplas nu till din bordstelefon.',
    en: 'Calls will now be delivered to your desk phone.',
  },
  'agent-device-mobile': {
    kind: 'speech',
    sv: 'Samtal kopplas nu till din mobiltelefon.',
    en: 'Calls will now be delivered to your mobile phone.',
  },
  'agent-wrapup-ended': {
    kind: 'speech',
    sv: 'Efterarbetet är avslutat. Du kan nu ta emot samtal.',
    en: 'Wrap-up has ended. You can now receive calls.',
  },
  'agent-plan-not-allowed': {
    kind: 'speech',
    sv: 'Din användarplan tillåter inte inloggning i köer. Kontakta din administratör.',
    en: 'Your user plan does not allow logging in to queues. Please contact your administrator.',
  },
  'agent-not-member': {
    kind: 'speech',
    sv: 'Du är inte medlem i den här kön.',
    en: 'You are not a member of this queue.',
  },
  'agent-unknown-queue': { kind: 'speech', sv: 'Den kön finns inte.', en: 'That queue does not exist.' },
  'agent-offer-mobile': {
    kind: 'speech',
    sv: 'Samtal från kön. Tryck 1 för att ta samtalet.',
    en: 'Call from the queue. Press 1 to take the call.',
  },
  'invalid-entry': { kind: 'speech', sv: 'Ogiltigt val.', en: 'Invalid entry.' },
  error: {
    kind: 'speech',
    sv: 'Ett fel uppstod. Försök igen senare.',
    en: 'An error occurred. Please try again later.',
  },

  // Callback that keeps the caller's place (issue 14, docs/callback.md)
  'callback-press': { kind: 'speech', sv: 'Tryck', en: 'Press' },
  'callback-offer': {
    kind: 'speech',
    sv: 'för att bli uppringd. Du behåller din plats i kön.',
    en: 'to be called back. You keep your place in the queue.',
  },
  'callback-your-number': { kind: 'speech', sv: 'Vi ringer upp dig på numret', en: 'We will call you back on' },
  'callback-accept-or-type': {
    kind: 'speech',
    sv: 'Tryck 1 för att godkänna, eller slå ett annat nummer och avsluta med fyrkant.',
    en: 'Press 1 to accept, or enter another number followed by the hash key.',
  },
  'callback-type-number': {
    kind: 'speech',
    sv: 'Slå numret vi ska ringa upp och avsluta med fyrkant.',
    en: 'Enter the number we should call you on, followed by the hash key.',
  },
  'callback-invalid-number': { kind: 'speech', sv: 'Det numret kan vi inte ringa.', en: 'We cannot call that number.' },
  'callback-accepted': {
    kind: 'speech',
    sv: 'Tack. Du behåller din plats i kön och vi ringer upp dig.',
    en: 'Thank you. You keep your place in the queue and we will call you back.',
  },
  'callback-expected-in': { kind: 'speech', sv: 'Vi räknar med att ringa om', en: 'We expect to call you in' },
  'callback-whisper': { kind: 'speech', sv: 'Återuppringning till', en: 'Callback to' },
  'callback-greeting': {
    kind: 'speech',
    sv: 'Hej, det här är din återuppringning. Tryck 1 för att bli kopplad.',
    en: 'Hello, this is your callback. Press 1 to be connected.',
  },

  // Prompt recording by phone (D3)
  'record-after-beep': {
    kind: 'speech',
    sv: 'Tala in ditt meddelande efter tonen. Tryck fyrkant när du är klar.',
    en: 'Record your message after the tone. Press the hash key when you are done.',
  },
  'record-confirm': {
    kind: 'speech',
    sv: 'Tryck 1 för att spara, eller 2 för att spela in igen.',
    en: 'Press 1 to keep it, or 2 to record again.',
  },
  'prompt-saved': { kind: 'speech', sv: 'Meddelandet är sparat.', en: 'Your message has been saved.' },

  // Non-speech
  beep: { kind: 'beep', sv: '(ton, 1000 Hz, 0,3 s)', en: '(tone, 1000 Hz, 0.3 s)' },
  moh: {
    kind: 'moh',
    sv: '(väntemusik, syntetiserad, 24 s, spelas i slinga)',
    en: '(music on hold, synthesised, 24 s, looped)',
  },

  ...NUMBER_WORDS,
} as const satisfies Record<string, PromptEntry>

/** A prompt id that ships with koplus. */
export type PromptId = keyof typeof PROMPTS

/** All prompt ids, in catalogue order. */
export const PROMPT_IDS: readonly PromptId[] = Object.keys(PROMPTS) as PromptId[]

/** True when `id` is one of the shipped prompt ids. */
export function isPromptId(id: string): id is PromptId {
  return Object.prototype.hasOwnProperty.call(PROMPTS, id)
}

/** True when `lang` is a language we ship prompts for. */
export function isLang(lang: string): lang is Lang {
  return (LANGS as readonly string[]).includes(lang)
}
