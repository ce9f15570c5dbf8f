// Which parameters weight decay applies to. The common practice (timm's default) exempts norms, biases,
// embeddings and position tables; the paper's CIFAR-100 configs decay every parameter (exclude = []).
import type { ParamInfo, ParamRole } from '../models/model.ts';

export const PARAM_ROLES: readonly ParamRole[] = ['weight', 'bias', 'norm', 'embedding', 'position'];

/** Roles exempt from weight decay unless configured otherwise. */
export const DEFAULT_NO_DECAY_ROLES: readonly ParamRole[] = ['bias', 'norm', 'embedding', 'position'];

export function checkRoles(roles: readonly string[], where = 'weight-decay exclusion'): ParamRole[] {
  for (const r of roles)
    if (!(PARAM_ROLES as readonly string[]).includes(r)) throw new Error(`${where}: unknown parameter role '${r}', expected some of ${PARAM_ROLES.join(', ')}`);
  return roles as ParamRole[];
}

/** Names of the parameters that are decayed: every parameter whose role is not excluded. */
export function decayedParams(paramInfo: readonly Pick<ParamInfo, 'name' | 'role'>[], excludeRoles: readonly ParamRole[] = DEFAULT_NO_DECAY_ROLES): Set<string> {
  const excluded = new Set(checkRoles(excludeRoles));
  return new Set(paramInfo.filter((p) => !excluded.has(p.role)).map((p) => p.name));
}
