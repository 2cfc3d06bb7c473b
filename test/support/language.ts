// What a user reads is Chinese: finds an untranslated English sentence in a message or a page.
// A sentence is three or more English words in a row; codes, identifiers, file names, URLs,
// acronyms (PDF, CSV, API) and anything a page shows as <code> are not words.

/** Tokens that are names of things, not words: they contain a digit, a dot, a slash, an underscore … */
const codeLike = /[0-9_./\\@:#=<>{}[\]|$%&*+~`^]/;

function isWord(raw: string): boolean {
  // Punctuation around a word does not make it less of one ("refused:", "(see").
  const t = raw.replace(/^[\s"'“”‘’(（[「『<]+|[\s"'“”‘’)）\]」』>,.;:!?，。；：！？、]+$/g, '');
  if (!t || codeLike.test(t)) return false;
  // Acronyms and product names in capitals are names, not sentences.
  if (/^[A-Z]{2,}s?$/.test(t)) return false;
  return /^[A-Za-z][a-z]*(?:['’-][A-Za-z]+)*$/.test(t);
}

/**
 * The first run of three or more English words in `text`, or undefined. Runs are broken by
 * anything that is not an English word: Chinese, a code, a number.
 */
export function englishSentence(text: string): string | undefined {
  const cleaned = text
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    // Chinese beside English without a space still breaks a run.
    .replace(/[\u3000-\u9fff\uff00-\uffef]/g, ' \u4e00 ');
  let run: string[] = [];
  for (const token of cleaned.split(/\s+/)) {
    if (isWord(token)) {
      run.push(token);
      continue;
    }
    if (run.length >= 3) return run.join(' ');
    run = [];
  }
  return run.length >= 3 ? run.join(' ') : undefined;
}

/** The text of a page a person reads: no markup, scripts, styles or <code>, entities decoded. */
export function pageText(html: string): string {
  return html
    .replace(/<(script|style|code)\b[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Throws when a refusal's `message` (JSON) or page (HTML) holds an English sentence, or its `error` is no code. */
export function checkRefusalLanguage(
  where: string,
  status: number,
  contentType: string,
  text: string,
  body: unknown,
): void {
  if (status < 400) return;
  if (/json/.test(contentType) && body && typeof body === 'object') {
    const b = body as { error?: unknown; message?: unknown };
    if (typeof b.error === 'string' && !/^[a-z][a-z0-9_]*$/.test(b.error))
      throw new Error(`${where}: ${status} refusal's error ${JSON.stringify(b.error)} is not a snake_case code`);
    const english = typeof b.message === 'string' ? englishSentence(b.message) : undefined;
    if (english)
      throw new Error(
        `${where}: ${status} refusal's message is not translated ("${english}"): ${JSON.stringify(b.message)}`,
      );
  } else if (/html/.test(contentType)) {
    const english = englishSentence(pageText(text));
    if (english) throw new Error(`${where}: ${status} refusal page holds an English sentence: "${english}"`);
  }
}
