/** What a fleet instance process serves: its scheduler and the store it closes after. */
type Served = Readonly<{
  scheduler: Readonly<{ start(): Promise<void>; stop(): Promise<void> }>;
  store: Readonly<{ close(): Promise<void> }>;
}>;

/**
 * Starts the scheduler of a fleet instance process, prints `ready` (what its parent waits
 * for), and on SIGTERM stops the scheduler, closes the store and exits 0. Shared by the fleet
 * bench's instance and the fleet test's child; SIGKILL ends either without any of this.
 */
export async function serveUntilSigterm({ scheduler, store }: Served): Promise<void> {
  await scheduler.start();
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    void scheduler
      .stop()
      .then(() => store.close())
      .then(() => process.exit(0));
  });
}
