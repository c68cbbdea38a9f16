/**
 * Characters a terminal, a pager or a text editor may act on or hide instead of showing:
 * every C0 control (`\u0000`–`\u001f`: ESC starts colour and cursor sequences, CR moves back
 * over what was printed), DEL, every C1 control (`\u0080`–`\u009f`: `\u009b` is a
 * one-byte CSI), the Unicode format controls (`Cf`: the bidi overrides `\u202e` and isolates
 * `\u2066`–`\u2069`, zero-width characters, BOM, tags), lone surrogates and the line and
 * paragraph separators `\u2028`/`\u2029`.
 */
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** The same set but the line feed: text the CLI itself breaks into lines. */
const CONTROL_BUT_LF = /(?!\n)[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const hex = (code: number, width: number) => code.toString(16).padStart(width, '0');

/** `\t`, `\n`, `\r`; `\xNN` up to U+00FF; `\uNNNN` in the BMP; `\u{NNNNN}` above it. */
function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${hex(code, 2)}`;
  if (code <= 0xffff) return `\\u${hex(code, 4)}`;
  return `\\u{${hex(code, 5)}}`;
}

/**
 * Makes text from the log (titles, ids, commands, error messages) or from the command line
 * safe to print: every control character (see {@link CONTROL}) is replaced by a visible
 * escape — `\r`, `\x1b`, `\x9b`, `\u202e` — and everything else is kept as is. Every CLI
 * formatter passes stored text through this one function, so a title cannot move the cursor,
 * recolour or hide the rest of a line, or reorder it with a bidi override.
 *
 * Backslashes are kept, so the result reads like the text; where the exact text matters
 * (the commands `approve` shows) use {@link quoteText}, which is unambiguous.
 * @example
 * escapeText('ok\r\u001b[2Kfake'); // 'ok\\r\\x1b[2Kfake'
 */
export function escapeText(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/**
 * {@link escapeText} for a message the CLI composed itself and broke into lines: the same
 * escapes, but a line feed stays a line break. Stored text inside such a message is quoted
 * with {@link quoteText} where it is built, so its own line feeds are escaped there.
 */
export function escapeMessage(text: string): string {
  return text.replace(CONTROL_BUT_LF, escapeOne);
}

/**
 * The exact text in double quotes, unambiguously: `\` and `"` are backslash-escaped too, so
 * two different texts never look the same (a literal `\x1b` shows as `\\x1b`). For showing
 * a command before someone approves it.
 * @example
 * quoteText('echo "hi"\r'); // '"echo \\"hi\\"\\r"'
 */
export function quoteText(text: string): string {
  return `"${escapeText(text.replace(/[\\"]/g, (c) => `\\${c}`))}"`;
}

/**
 * `JSON.stringify`, with every control character that JSON itself leaves raw (DEL, C1,
 * format controls, `\u2028`/`\u2029`) written as a `\uXXXX` escape. Still JSON, parsing to
 * exactly the same value: outside strings JSON text is plain ASCII (and the line feeds of
 * `indent`), so these characters can only occur inside string literals, where `\uXXXX`
 * means the same character.
 */
export function toSafeJson(value: unknown, indent?: number): string {
  // A raw line feed in JSON text is indentation (one inside a string is already `\n`).
  return (JSON.stringify(value, null, indent) ?? 'null').replace(CONTROL_BUT_LF, (char) => {
    let out = '';
    for (let i = 0; i < char.length; i++) out += `\\u${hex(char.charCodeAt(i), 4)}`;
    return out;
  });
}
