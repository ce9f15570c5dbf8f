export async function writeReport(runDir: string): Promise<string> { return runDir; }
export async function readRunFigures(runDir: string): Promise<unknown[]> { return [runDir]; }
