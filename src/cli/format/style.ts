/** Text decorations the CLI uses; each returns its input unchanged when colour is off. */
export type Style = Readonly<{
  bold: (text: string) => string;
  dim: (text: string) => string;
  red: (text: string) => string;
  green: (text: string) => string;
  yellow: (text: string) => string;
  cyan: (text: string) => string;
}>;

const wrap =
  (open: number, close: number) =>
  (text: string): string =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const plain = (text: string): string => text;

/**
 * Plain ANSI SGR codes — a handful of escape sequences do not justify a dependency. Off
 * unless the caller decided the output is a terminal that wants colour (see `wantsColour`).
 */
export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  }
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape codes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** Length of `text` as shown on a terminal, escape codes excluded (for column alignment). */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}
