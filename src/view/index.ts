// The results browser as a library: the server, the run listing, one view's figures, the units contract reader.
export { startViewServer, isLoopbackHost, type ViewServer, type ViewServerOptions } from './server.ts';
export { RunIndex, type RunInfo, type RunPart, type RunStatus, type RunState } from './runs.ts';
export { buildView, keyNumbers, listRunFiles, VIEWS, type ViewName, type ViewResult } from './figures.ts';
export { readUnitProgress, readUnitPlan, type UnitProgress, type UnitPlan, type UnitRecord } from './units.ts';
export { resolveResultFile } from './files.ts';
