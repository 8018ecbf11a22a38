/** How a `sluice <command>` ends badly: its message on stderr, and the exit status its usage text promises. */

/** Exit status 2: the command line itself is wrong; the usage follows the message. */
export function usageError(command: string, usage: string, message: string): number {
  process.stderr.write(`sluice ${command}: ${message}\n\n${usage}\n`);
  return 2;
}

/** Exit status 1: the command could not do its work. */
export function failed(command: string, message: string): number {
  process.stderr.write(`sluice ${command}: ${message}\n`);
  return 1;
}
