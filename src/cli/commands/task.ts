import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { registerTaskAdd } from './taskAdd.js';
import { registerTaskList } from './taskList.js';
import { registerTaskPause } from './taskPause.js';
import { registerTaskRm } from './taskRm.js';
import { registerTaskUpdate } from './taskUpdate.js';

/** `planflow task add|list|update|rm|pause|resume`. */
export function registerTask(program: Command, ctx: CommandContext): void {
  const task = program
    .command('task')
    .description('add, list, update, remove, pause and resume tasks');
  registerTaskAdd(task, ctx);
  registerTaskList(task, ctx);
  registerTaskUpdate(task, ctx);
  registerTaskRm(task, ctx);
  registerTaskPause(task, ctx);
}
