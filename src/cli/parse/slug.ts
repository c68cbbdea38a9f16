/** Longest id derived from a title; long titles make unwieldy ids to type. */
const MAX_SLUG = 48;

/**
 * A task id made from its title: lower case, accents dropped, every run of other characters
 * turned into one `-`. `"Back up the DB!"` → `back-up-the-db`. A title with no letters or
 * digits gives `task`.
 */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'task' : slug;
}

/**
 * The first of `base`, `base-2`, `base-3`, … that `taken` does not hold, so adding two tasks
 * with the same title gives two tasks instead of silently updating the first.
 */
export async function uniqueId(
  base: string,
  taken: (id: string) => boolean | Promise<boolean>,
): Promise<string> {
  if (!(await taken(base))) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!(await taken(candidate))) return candidate;
  }
}
