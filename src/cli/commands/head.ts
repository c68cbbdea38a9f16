import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { escapeText, toSafeJson } from '../format/escapeText.js';
import { withStore } from '../openLog.js';

/**
 * `planflow head [--json]`: prints the log's head as `<seq>:<hash>` — the line to anchor
 * somewhere the log's writer cannot reach and check later with `planflow verify
 * --expect-head` — and its latest signed checkpoint with the signature, which anyone with
 * the public key can check. The log is opened read-only and verified first, so a head is
 * only printed for a log that verifies.
 */
export function registerHead(program: Command, ctx: CommandContext): void {
  program
    .command('head')
    .description(
      'print the head (<seq>:<hash>) to anchor elsewhere, and the latest signed checkpoint',
    )
    .option('--json', 'print head, anchor and checkpoint as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { io, style } = ctx;
      const { head, checkpoint } = await withStore(
        ctx.dbPath(),
        async (store) => ({
          head: await store.head(),
          checkpoint: (await store.checkpoints()).at(-1),
        }),
        { readOnly: true },
      );
      const anchor = `${head.seq}:${head.hash}`;
      if (flags.json === true) {
        io.stdout(`${toSafeJson({ head, anchor, checkpoint: checkpoint ?? null })}\n`);
        return;
      }
      io.stdout(`${escapeText(anchor)}\n`);
      if (checkpoint === undefined) {
        io.stdout(
          `${style.yellow('no signed checkpoint')}: the log was written without a signing key (planflow --signing-key <file>, or $PLANFLOW_SIGNING_KEY_FILE)\n`,
        );
        return;
      }
      io.stdout(
        `checkpoint ${escapeText(`${checkpoint.seq}:${checkpoint.hash}`)}\n` +
          `  signed    ${escapeText(checkpoint.time)}\n` +
          `  key id    ${escapeText(checkpoint.keyId)}\n` +
          `  signature ${escapeText(checkpoint.signature)}\n`,
      );
      if (checkpoint.seq < head.seq) {
        io.stdout(
          `entries ${checkpoint.seq + 1}..${head.seq} are not signed yet (the writer signs every 1000 entries or 60 s, and when it closes)\n`,
        );
      }
    });
}
