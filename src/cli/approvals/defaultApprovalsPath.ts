import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** The file name of the approvals inside the user's PlanFlow config directory. */
const FILE = join('planflow', 'approved-commands.json');

/**
 * Where this machine's command approvals live when neither `--approvals` nor `CliIo.approvals`
 * says otherwise: `$PLANFLOW_APPROVALS`, else the user's config directory —
 * `$XDG_CONFIG_HOME/planflow/approved-commands.json` (default `~/.config/…`), or
 * `%APPDATA%\planflow\approved-commands.json` on Windows. Outside every log on purpose: a log
 * cannot approve its own commands.
 */
export function defaultApprovalsPath(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
  platform: NodeJS.Platform = process.platform,
): string {
  const given = env.PLANFLOW_APPROVALS;
  if (given !== undefined && given !== '') return given;
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), FILE);
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec: a relative value is invalid and must be ignored.
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.config'), FILE);
}
