/** The path of the CLI's bundle for the sources below `root` as they are now, built when missing. */
export function cliBundle(root: string): Promise<string>;
